// @ts-check
// The doctor's report: a printed page (or a PDF from the print dialog) with the photo, the map, the finding with its
// likelihood in words, every class's share, the method, the framed region, the date, the model and its note; in
// the page's language. Filled from the shown result just before printing.

/**
 * @param {{$: (id: string) => any, words: ReturnType<typeof import('./words.mjs').wordsFor>, language: () => string}} page
 */
export function reportView({ $, words, language }) {
  const { t, localized, isolated, share, likelihood } = words;

  /** @param {{result: any, config: any, methods: {id: string, label: string}[], region: number[] | null}} shown */
  function fill({ result, config, methods, region }) {
    const top = result.predictions[0];
    const facts = [
      ['reportDate', new Date().toLocaleString(language())],
      ['reportModel', `${isolated(config.name)}${config.version ? ` ${isolated(config.version)}` : ''}`],
      ['reportFinding', result.forced ? `${isolated(top.label)} (${t('forcedShare', { share: share(top.probability) })})`
        : `${isolated(top.label)}: ${t('findingLikelihood', { likelihood: likelihood(top.probability), share: share(top.probability) })}`],
      ['reportMethod', `${methods.find((m) => m.id === result.method)?.label ?? result.method}, ${isolated(result.explainedClass.label)}`],
      ...(region ? [['reportRegion', t('reportRegionValue', { x: region[0], y: region[1], width: region[2], height: region[3] })]] : []),
    ];
    document.querySelector('.report-facts').replaceChildren(...facts.flatMap(([key, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = t(key);
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }));
    $('report-photo').src = $('original').toDataURL('image/jpeg', 0.9);
    $('report-map').src = $('overlay').toDataURL('image/png');
    document.querySelector('.report-predictions').replaceChildren(...result.predictions.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${isolated(p.label)}: ${share(p.probability)}`;
      return li;
    }));
    const note = [result.forced ? t('gateForcedBanner') : '', localized(config.card.resultNote)].filter(Boolean).join(' ');
    document.querySelector('.report-note').textContent = note;
    $('report-page').dataset.ready = 'true';
  }

  return {
    /** Fills the report from what is shown and opens the browser's print dialog (which also saves a PDF). */
    print(shown) {
      fill(shown);
      window.print();
    },
  };
}
