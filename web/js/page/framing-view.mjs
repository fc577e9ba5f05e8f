// @ts-check
// The framing card: the chosen photo with the square the person moves onto the spot (web/js/framing.mjs), how
// many of the photo's pixels the square holds, and the check button, which says what happens next while the
// model downloads, is prepared or reads the photo.
import { FramingSquare } from '../framing.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function framingView({ $, words: { t, megabytes, number }, store, actions }) {
  const framing = new FramingSquare({ stage: $('frame-stage'), canvas: $('preview'), box: $('frame-box'), size: $('frame-size'),
    onChange: (frameRegion) => store.set({ frameRegion }) });
  $('zoom-in').addEventListener('click', () => framing.zoomAt(1.5));
  $('zoom-out').addEventListener('click', () => framing.zoomAt(1 / 1.5));
  $('retake').addEventListener('click', () => actions.openPicker('photo-input'));
  $('analyse-region').addEventListener('click', () => actions.analyseFramed());

  let shown = null;
  store.watch(['photo'], ({ photo }) => {
    if (photo?.bitmap && photo !== shown) framing.show(photo.bitmap);  // (reports its square: frameRegion)
    shown = photo;
  });

  // A warning when the square holds fewer pixels than the model reads.
  store.watch(['frameRegion', 'modelInfo', 'language'], ({ frameRegion, modelInfo }) => {
    if (!frameRegion) return;
    const side = frameRegion[2];
    const model = modelInfo?.config.input.width;
    const small = Boolean(model && side < model);
    $('frame-pixels').textContent = t(small ? 'frameRegionSmall' : 'frameRegionSize', { side: number(side), model });
    $('frame-pixels').classList.toggle('frame-pixels-small', small);
    $('frame-pixels').dataset.small = String(small);
  });

  store.watch(['analysing', 'loading', 'modelInfo', 'status', 'language'], ({ analysing, loading, modelInfo, status }) => {
    const button = $('analyse-region');
    button.setAttribute('aria-busy', String(analysing));
    if (!analysing) {
      button.style.removeProperty('--progress');
      $('analyse-progress').textContent = '';
      return;
    }
    let text;
    let share = 1;
    if (modelInfo && status.key !== 'loadingModel' && status.key !== 'preparingRuntime') text = t('buttonAnalysing');
    else if (loading.phase === 'preparing' || !loading.total) text = t('buttonPreparing');
    else {
      share = Math.min(1, loading.loaded / loading.total);
      text = t('buttonDownloading', { loaded: megabytes(loading.loaded), total: megabytes(loading.total) });
    }
    button.style.setProperty('--progress', String(share));
    $('analyse-progress').textContent = text;
  });
}
