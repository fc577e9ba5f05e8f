// The app end to end in headless Chromium: a photo gives predictions and a heatmap, controls re-render
// without re-running the model, errors are plain and recoverable, nothing leaves the page during an
// analysis, it works offline after the first visit, in English and Vietnamese, on a phone-sized screen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { ARTIFACTS, analysePhoto, browserForThisFile } from './browser.mjs';
import { FIXTURES } from '../js/helpers.mjs';
import { EXPLAIN_FIXTURES } from '../js/explain-helpers.mjs';

const PHOTO = join(FIXTURES, 'lesion.jpg');       // a generated lesion photo the demo model's gate accepts
const PORTRAIT = join(FIXTURES, 'portrait.jpg');  // a face: the gate must refuse it (not_skin)
const BLURRY = join(FIXTURES, 'lesion_blurry.jpg');
const GLARE = join(FIXTURES, 'lesion_glare.jpg');   // the lesion with a flash's reflection on it
const FADED = join(FIXTURES, 'lesion_faded.jpg');   // the lesion washed out: blacks lifted by 40% of white
const PASTED = join(FIXTURES, 'lesion_pasted.png'); // the lesion with a face pasted in its top left: not_skin
const sel = (id) => `[data-testid="${id}"]`;

const env = browserForThisFile();

async function newPage(options = {}) {
  const context = await env.browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addInitScript(() => {
    window.workerRequests = [];  // the type of every request the page sends its worker
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function postAndCount(message, ...rest) {
      window.workerRequests.push(message?.type);
      return post.call(this, message, ...rest);
    };
    window.statusLog = [];
    new MutationObserver(() => {
      const status = document.querySelector('[data-testid="status"]');
      const progress = document.querySelector('[data-testid="model-progress"]');
      if (status) window.statusLog.push(status.textContent);
      if (progress && !progress.hidden) window.progressShown = true;
      const text = document.querySelector('[data-testid="model-progress-text"]')?.textContent;
      if (text) (window.progressTexts ??= []).push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const requests = [];
  page.on('request', (request) => requests.push({ url: request.url(), method: request.method(), at: Date.now() }));
  await page.goto(env.baseUrl);
  return { context, page, errors, requests };
}

const analyse = analysePhoto;  // choose, keep the framing square's default (the centre), wait for the answer

// Every label of the demo model in both languages, and any percentage: none may show for a refused photo.
async function conditionTextOnScreen(page) {
  const labels = JSON.parse(readFileSync(join(FIXTURES, '../../../models/demo/model.json'), 'utf8')).labels
    .flatMap((l) => [l.en, l.vi]);
  const text = await page.evaluate(() => document.body.innerText);
  return [...labels.filter((label) => text.includes(label)), ...(text.match(/\d+(\.\d+)?\s?%/g) ?? [])];
}

async function overlayPixels(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="overlay"]');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

// How many pixels of the overlay differ from the photo under it (red or blue channel): where heat is drawn.
async function heatCoverage(page, pixels) {
  const original = await page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="original"]');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  });
  let changed = 0;
  for (let i = 0; i < pixels.length; i += 4) changed += pixels[i] !== original[i] || pixels[i + 2] !== original[i + 2];
  return changed;
}

async function modelRuns(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="diagnostics"]').dataset.modelRuns !== undefined);
  return Number(await page.getAttribute(sel('diagnostics'), 'data-model-runs'));
}

// Runs each step and checks the overlay shows a new, different picture after it; returns the last pixels.
async function eachStepRepaints(page, steps) {
  let pixels = await overlayPixels(page);
  for (const step of steps) {
    const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await step();
    await waitForRender(page, stamp);
    const next = await overlayPixels(page);
    assert.notDeepEqual(next, pixels);
    pixels = next;
  }
  return pixels;
}

async function waitForRender(page, previousStamp) {
  await page.waitForFunction((old) => document.querySelector('[data-testid="overlay"]').dataset.stamp !== old, previousStamp);
}

describe('the app', () => {
  let session;
  before(async () => {
    session = await newPage({ locale: 'en-US' });
  });
  after(async () => {
    await session.context.close();
  });

  test('a real photo gives predictions, a heatmap and the disclaimer', async () => {
    const { page, requests } = session;
    // The model and the runtime are fetched as soon as the page is idle, before any photo, with one progress bar
    // over both that says how many megabytes of how many.
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent === 'Model ready.',
      null, { timeout: 60_000 });
    assert.ok(requests.some((r) => r.url.endsWith('/model-int8.onnx')), 'the model was not prefetched');
    assert.ok(requests.some((r) => r.url.endsWith('ort-wasm-simd-threaded.wasm')), 'the runtime was not prefetched');
    assert.ok(await page.evaluate(() => window.statusLog.includes('Loading the model…') && window.progressShown === true),
      'no loading status or progress bar');
    assert.ok(await page.evaluate(() => (window.progressTexts ?? []).some((t) => /^\d+\.\d of \d+\.\d MB$/.test(t))),
      'no "x of y MB" progress');
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    const items = await page.$$eval(`${sel('predictions')} li`, (lis) => lis.map((li) => ({
      label: li.dataset.label, probability: Number(li.dataset.probability) })));
    assert.equal(items.length, 6);
    assert.ok(Math.abs(items.reduce((s, i) => s + i.probability, 0) - 1) < 1e-3);
    assert.ok(items.every((item, i) => i === 0 || items[i - 1].probability >= item.probability));
    const pixels = await overlayPixels(page);
    const changed = await heatCoverage(page, pixels);
    assert.ok(changed > pixels.length / 4 / 10, `heatmap covers only ${changed} pixels`);
    assert.equal(await page.isVisible(sel('disclaimer')), true);
    assert.match(await page.textContent(sel('disclaimer')), /not a diagnosis/);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    assert.deepEqual(session.errors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'app-result.png'), fullPage: true });
  });

  test('switching method, class, colours and opacity re-renders without running the model', async () => {
    const { page } = session;
    await page.click(`${sel('advanced')} summary`);
    const runs = await modelRuns(page);
    const pixels = await eachStepRepaints(page, [
      () => page.selectOption(sel('method'), 'eigencam'),
      () => page.selectOption(sel('method'), 'layercam'),
      () => page.selectOption(sel('colormap'), 'viridis'),
      () => page.fill(sel('opacity'), '0.9'),
      () => page.check(sel('outline')),
    ]);
    // The second most likely class is among the explained top 3: no new run either.
    const second = await page.evaluate(() => {
      const li = document.querySelectorAll('[data-testid="predictions"] li')[1];
      const options = [...document.querySelectorAll('[data-testid="class"] option')];
      return options.find((o) => o.textContent.startsWith(li.textContent.split(':')[0])).value;
    });
    const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('class'), second);
    await waitForRender(page, stamp);
    assert.equal(await page.getAttribute(sel('overlay'), 'data-class-index'), second);
    assert.notDeepEqual(await overlayPixels(page), pixels);
    await page.click(`${sel('diagnostics')} summary`);
    assert.equal(await modelRuns(page), runs);
    // FinerCAM names the classes it contrasts the explained one with.
    const before = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'finercam');
    await waitForRender(page, before);
    assert.match(await page.textContent(sel('overlay-caption')), /\(FinerCAM, compared with [^,]+, [^,]+, [^,)]+\)/);
    assert.equal(await page.isDisabled(sel('aug-smooth')), true, 'FinerCAM has no aug_smooth');
    const finerStamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'layercam');  // back: FinerCAM costs a run per photo with K = 3
    await waitForRender(page, finerStamp);
    assert.equal(await page.isDisabled(sel('aug-smooth')), false);
    assert.doesNotMatch(await page.textContent(sel('overlay-caption')), /compared with/, 'only FinerCAM\'s map compares');
    // Score-CAM runs the model once per channel: progress shows, and Stop keeps the map on screen and the
    // controls that match it; asked again, it finishes.
    const shown = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'scorecam');
    await page.waitForSelector(`${sel('method-progress')}:not([hidden])`);
    assert.match(await page.textContent(sel('method-progress-text')), /Computing this map: \d+ of \d+ extra model runs/);
    await page.click(sel('method-cancel'));
    await page.waitForSelector(`${sel('method-progress')}[hidden]`, { state: 'attached' });
    assert.equal(await page.inputValue(sel('method')), 'layercam');
    assert.equal(await page.getAttribute(sel('overlay'), 'data-stamp'), shown);
    assert.equal(await page.getAttribute(sel('overlay'), 'data-method'), 'layercam');
    assert.equal(await page.isHidden(sel('error')), true);
    await page.selectOption(sel('method'), 'scorecam');
    await page.waitForFunction(() => document.querySelector('[data-testid="overlay"]').dataset.method === 'scorecam',
      null, { timeout: 120_000 });
    assert.equal(await page.isHidden(sel('method-progress')), true);
    const scoreStamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'layercam');
    await waitForRender(page, scoreStamp);
    // "How faithful is this map?": stopped, nothing shows; measured, the verdict against a random map and five
    // metrics with a plain reading each; a new map clears them.
    await page.click(sel('faithfulness-run'));
    await page.waitForSelector(`${sel('faithfulness-progress')}:not([hidden])`);
    await page.click(sel('faithfulness-cancel'));
    assert.equal(await page.isHidden(sel('faithfulness-results')), true);
    assert.equal(await page.isHidden(sel('error')), true);
    await page.click(sel('faithfulness-run'));
    await page.waitForSelector(`${sel('faithfulness-results')}:not([hidden])`, { timeout: 120_000 });
    assert.match(await page.textContent(sel('faithfulness-verdict')),
      /(beats|does not beat) a random map on this photo.*deletion AUC \d\.\d{3} against \d\.\d{3}/);
    assert.equal(await page.locator(`${sel('faithfulness-results')} dt`).count(), 5);
    assert.match(await page.textContent(sel('faithfulness-results')), /Deletion AUC \(lower is better\): \d\.\d{3}/);
    const measuredStamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'gradcam');
    await waitForRender(page, measuredStamp);
    assert.equal(await page.isHidden(sel('faithfulness-results')), true, 'a new map clears the old measurement');
    const gradStamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'layercam');
    await waitForRender(page, gradStamp);
    assert.match(await page.textContent(sel('diagnostics')), /Threads\s*2/);
    assert.match(await page.textContent(sel('diagnostics')), /Cross-origin isolated\s*yes/);
    await page.screenshot({ path: join(ARTIFACTS, 'app-controls.png'), fullPage: true });
  });

  test('a method switch hands the heat index before the shown one back to the worker, which writes the next map into it', async () => {
    const { page } = session;
    await page.evaluate(() => {
      window.spareIndexes = [];
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function countSpares(message, transfer) {
        if (message?.type === 'render') window.spareIndexes.push(message.spareIndex?.length ?? 0);
        return post.call(this, message, transfer);
      };
    });
    const show = async (method) => {
      const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
      await page.selectOption(sel('method'), method);
      await waitForRender(page, stamp);
      await page.waitForFunction((m) => document.querySelector('[data-testid="overlay"]').dataset.method === m, method);
      return overlayPixels(page);
    };
    const gradcam = await show('gradcam');
    const eigencam = await show('eigencam');
    assert.notDeepEqual(eigencam, gradcam);
    // Written over the buffer that held another map: the same picture as before, and then Eigen-CAM's again.
    assert.deepEqual(await show('gradcam'), gradcam);
    assert.deepEqual(await show('eigencam'), eigencam);
    const spares = await page.evaluate(() => window.spareIndexes);
    const [w, h] = await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="overlay"]');
      return [canvas.width, canvas.height];
    });
    assert.equal(spares.length, 4);
    assert.ok(spares.slice(1).every((n) => n === w * h), `spare indexes sent: ${spares} (display ${w} x ${h})`);
  });

  test('opacity, colours and outline repaint on the page with no worker request, and agree with the core\'s PNG', async () => {
    const { page } = session;
    const sent = await page.evaluate(() => window.workerRequests.length);
    const pixels = await eachStepRepaints(page, [() => page.fill(sel('opacity'), '0.3'),
      () => page.selectOption(sel('colormap'), 'inferno'), () => page.uncheck(sel('outline')),
      () => page.check(sel('outline')), () => page.fill(sel('opacity'), '0.7')]);
    assert.deepEqual(await page.evaluate((n) => window.workerRequests.slice(n), sent), []);
    // The PNG is the core's blend with the same looks: the page's composite agrees within one level per channel.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(sel('download'))]);
    const { decodeImage } = await import('../../web/js/core.mjs');
    const png = await decodeImage(new Uint8Array(readFileSync(await download.path())));
    const size = await page.evaluate(() => [document.querySelector('[data-testid="overlay"]').width,
      document.querySelector('[data-testid="overlay"]').height]);
    // Above its caption strip (the finding, advice, date, model, disclaimer: 'the overlay downloads as a PNG').
    assert.equal(png.width, size[0]);
    assert.ok(png.height > size[1], `${png.height} rows for a ${size[1]}-row overlay: no caption strip`);
    let worst = 0;
    for (let i = 0; i < size[0] * size[1]; i++) {
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(png.rgb[i * 3 + c] - pixels[i * 4 + c]));
    }
    assert.ok(worst <= 1, `the page's overlay differs from the core's by ${worst} levels`);
  });

  test('the overlay downloads as a PNG', async () => {
    const { page } = session;
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(sel('download'))]);
    assert.match(download.suggestedFilename(), /^dermcam-.*\.png$/);
    const bytes = readFileSync(await download.path());
    assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    // A caption strip under the overlay, white with dark text on several lines.
    const { decodeImage } = await import('../../web/js/core.mjs');
    const png = await decodeImage(new Uint8Array(bytes));
    const overlayHeight = await page.evaluate(() => document.querySelector('[data-testid="overlay"]').height);
    let dark = 0;
    const inked = new Set();
    for (let y = overlayHeight; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        if (png.rgb[(y * png.width + x) * 3] < 100) {
          dark += 1;
          inked.add(Math.floor((y - overlayHeight) / 10));
        }
      }
    }
    assert.ok(png.height - overlayHeight >= 100, `a strip of ${png.height - overlayHeight} rows`);
    assert.ok(dark > 500 && inked.size >= 5, `${dark} dark pixels in ${inked.size} bands: no text in the strip`);
  });

  test('the raw map downloads as .npy: signed, at the target layer\'s resolution, the numbers the CLI writes', async () => {
    const { page } = session;
    await page.$eval(sel('advanced'), (details) => { details.open = true; });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(sel('download-raw'))]);
    const method = await page.inputValue(sel('method'));
    assert.match(download.suggestedFilename(), new RegExp(`^dermcam-.*-${method.replace('+', '\\+')}-raw\\.npy$`));
    const { decodeNpy } = await import('../../web/js/npy.mjs');
    const raw = decodeNpy(new Uint8Array(readFileSync(await download.path())));
    assert.deepEqual(raw.shape, [16, 16]);  // the demo model's target layer
    assert.ok(raw.data.every(Number.isFinite) && Math.max(...raw.data) > 0);
    // The same photo, method and class through the pipeline in Node: the same float32 values (one wasm core).
    const label = await page.getAttribute(sel('finding'), 'data-label');
    const ort = await import('onnxruntime-node');
    const core = await import('../../web/js/core.mjs');
    const { Explainer } = await import('../../web/js/pipeline.mjs');
    const config = JSON.parse(readFileSync(join(FIXTURES, '../../../models/demo/model.json'), 'utf8'));
    const explainer = new Explainer({ ort, core });
    await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(FIXTURES, '../../../models/demo', config.model))), config });
    const classIndex = config.labels.findIndex((l) => l.id === label);
    await explainer.analyse({ bytes: new Uint8Array(readFileSync(PHOTO)) }, { method, classIndex }, { force: true });
    const [node] = explainer.rawMap();
    await explainer.release();
    assert.deepEqual([node.height, node.width], raw.shape);
    const worst = raw.data.reduce((w, v, i) => Math.max(w, Math.abs(v - node.raw[i])), 0);
    assert.ok(worst <= 1e-4 * Math.max(...raw.data.map(Math.abs)), `the page's raw map differs from Node's by ${worst}`);
  });

  test('every map is checked: Grad-CAM passes; a class-blind map is faded for a patient, with the reason', async () => {
    const { page } = session;
    const verdict = (value) => page.waitForSelector(`${sel('map-check')}[data-verdict="${value}"]`);
    // A choice that changes the map is waited for, so the verdict read is the new map's, not the one before.
    const choose = async (id, value) => {
      if (await page.inputValue(sel(id)) === value) return;
      const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
      await page.selectOption(sel(id), value);
      await waitForRender(page, stamp);
    };
    // The top class's Grad-CAM (an earlier test explained another class).
    const top = await page.evaluate(() => {
      const li = document.querySelector('[data-testid="predictions"] li');
      return [...document.querySelectorAll('[data-testid="class"] option')]
        .find((o) => o.textContent.startsWith(li.textContent.split(':')[0])).value;
    });
    await choose('method', 'gradcam');
    await choose('class', top);
    await verdict('passed');
    assert.match(await page.textContent(sel('map-check')), /Map check passed/);
    assert.equal(await page.$eval(sel('compare-view'), (e) => e.classList.contains('unreliable')), false);
    // Eigen-CAM is the same map whatever the class or the model: the randomised head gives it back.
    await choose('method', 'eigencam');
    await verdict('failed');
    assert.match(await page.textContent(sel('map-check')), /not reliable for this photo.*barely changes when the model is replaced/);
    assert.equal(await page.$eval(sel('compare-view'), (e) => e.classList.contains('unreliable')), true, 'faded for a patient');
    assert.ok(await page.$eval(`${sel('compare-view')} .over`, (e) => Number(getComputedStyle(e).opacity)) < 0.5);
    await page.screenshot({ path: join(ARTIFACTS, 'map-check-failed-en.png'), fullPage: true });
    // A clinician sees the map as it is, with the same words.
    await page.check(sel('clinician-mode'));
    assert.equal(await page.$eval(sel('compare-view'), (e) => e.classList.contains('unreliable')), false);
    await page.uncheck(sel('clinician-mode'));
    await choose('method', 'gradcam');
    await verdict('passed');
  });

  test('a bad file shows a plain error, and the next photo works', async () => {
    const { page } = session;
    // A PNG whose header claims 100000 x 100000: the core's params reach the sentence.
    const huge = readFileSync(join(FIXTURES, 'gray8.png'));
    huge.set([0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0], 16);
    (await import('node:fs')).writeFileSync(join(ARTIFACTS, 'huge-header.png'), huge);
    for (const [file, pattern] of [['not_image.pdf.jpg', /not a photo dermcam can read/], ['refused.tiff', /cannot read TIFF images/],
      ['../../../test-results/huge-header.png', /has 10000 megapixels; dermcam reads photos up to 50 megapixels/],
      ['blocks_progressive.jpg', null]]) {
      await analyse(page, join(FIXTURES, file));
      if (pattern) {
        assert.match(await page.textContent(sel('error')), pattern);
        // Only sentences: no stray "undefined" or "false" from a part the box leaves out.
        assert.doesNotMatch(await page.innerText(sel('error')), /undefined|false|null/);
        assert.equal(await page.textContent(sel('error-fix')), 'Choose another photo');  // the fix, as a button
        assert.equal(await page.isHidden(sel('result')), true, 'the previous photo\'s result is not shown under the error');
        await page.screenshot({ path: join(ARTIFACTS, `app-error-${basename(file)}.png`) });
      } else {
        assert.equal(await page.isHidden(sel('error')), true);
      }
    }
    const truncated = join(ARTIFACTS, 'truncated.png');
    const png = readFileSync(join(FIXTURES, 'blocks.png'));
    (await import('node:fs')).writeFileSync(truncated, png.subarray(0, 70));
    await analyse(page, truncated);
    assert.match(await page.textContent(sel('error')), /damaged or incomplete/);
    assert.equal(await page.isHidden(sel('result')), true);
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true);
    assert.equal(await page.isHidden(sel('result')), false);
  });

  test('a new photo chosen during an analysis replaces it: the worker drops the old one before its model run', async () => {
    const { page } = session;
    const lesionLabel = await (async () => { await analyse(page, PHOTO); return page.getAttribute(sel('finding'), 'data-label'); })();
    const runsBefore = Number(await page.getAttribute(sel('diagnostics'), 'data-model-runs'));
    // The moment the page sends the big photo's analysis, the lesion is chosen (as a hurried person would).
    const lesion = readFileSync(PHOTO).toString('base64');
    await page.evaluate((base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function chooseAnotherOnAnalyse(message, ...rest) {
        const result = post.call(this, message, ...rest);
        if (message?.type === 'analyse' && !window.switched) {
          window.switched = true;
          const input = document.querySelector('[data-testid="photo-input"]');
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], 'lesion.jpg', { type: 'image/jpeg' }));
          input.files = transfer.files;
          input.dispatchEvent(new Event('change'));
        }
        return result;
      };
    }, lesion);
    const before = Number(await page.evaluate(() => document.body.dataset.analyses));
    const cancels = await page.evaluate(() => window.workerRequests.filter((type) => type === 'cancel').length);
    await page.setInputFiles(sel('photo-input'), join(FIXTURES, 'spot_in_photo.jpg'));  // 3000 x 2250
    await page.waitForSelector(`${sel('framing')}:not([hidden])`);
    const bigRegion = await page.getAttribute(sel('frame-box'), 'data-region');
    await page.click(sel('analyse-region'));
    // The lesion is being framed now (its own square), and the big photo's analysis has ended, without an error.
    await page.waitForFunction((region) => window.switched &&
      document.querySelector('[data-testid="frame-box"]').dataset.region !== region, bigRegion);
    await page.waitForFunction((old) => Number(document.body.dataset.analyses) >= old + 1, before);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    assert.equal(await page.isHidden(sel('result')), true, 'the previous result is not shown while the lesion is framed');
    assert.equal(await page.evaluate(() => window.workerRequests.filter((type) => type === 'cancel').length), cancels + 1);
    await page.click(sel('analyse-region'));
    await page.waitForFunction((old) => Number(document.body.dataset.analyses) >= old + 2, before);
    await page.waitForSelector(`${sel('result')}:not([hidden])`);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    assert.equal(await page.getAttribute(sel('finding'), 'data-label'), lesionLabel);
    await page.waitForFunction((runs) => Number(document.querySelector('[data-testid="diagnostics"]').dataset.modelRuns) > runs, runsBefore);
    // One model run: the lesion's. The big photo stopped after its decode.
    assert.equal(Number(await page.getAttribute(sel('diagnostics'), 'data-model-runs')), runsBefore + 1);
  });

  test('no request leaves the page while a photo is analysed', async () => {
    const { page, requests } = session;
    const start = Date.now();
    await analyse(page, join(FIXTURES, 'blocks.png'));
    const during = requests.filter((r) => r.at >= start);
    assert.deepEqual(during.map((r) => r.url), []);
    for (const r of requests) {
      assert.ok(r.url.startsWith(env.baseUrl) || r.url.startsWith('data:') || r.url.startsWith('blob:'), r.url);
      assert.equal(r.method, 'GET', r.url);
    }
  });
});

describe('the photo gate', () => {
  test('a face is refused with what to change, no condition name and no percentage; "analyse anyway" shows the banner',
    async () => {
      const { context, page, errors } = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true,
        hasTouch: true, locale: 'en-US' });
      await analyse(page, PORTRAIT);
      assert.equal(await page.isVisible(sel('refusal')), true);
      assert.equal(await page.isHidden(sel('result')), true);
      assert.deepEqual(await page.$$eval(`${sel('refusal-reasons')} li`, (lis) => lis.map((li) => li.dataset.code)), ['not_skin']);
      assert.match(await page.textContent(sel('refusal')), /does not look like a close-up of skin/);
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'refusal-heading');
      assert.deepEqual(await conditionTextOnScreen(page), []);
      assert.equal(await page.$$eval(`${sel('predictions')} li`, (lis) => lis.length), 0);
      await page.screenshot({ path: join(ARTIFACTS, 'gate-refused-phone-en.png'), fullPage: true });
      await page.click(sel('language-vi'));
      assert.match(await page.textContent(sel('refusal')), /không giống ảnh chụp cận cảnh da/);
      assert.match(await page.textContent(sel('status')), /Ảnh chưa được phân tích/);
      assert.deepEqual(await conditionTextOnScreen(page), []);
      await page.screenshot({ path: join(ARTIFACTS, 'gate-refused-phone-vi.png'), fullPage: true });
      await page.click(sel('language-en'));

      // Patient mode: a photo refused as not skin is never analysed; the way to allow it is named.
      assert.equal(await page.isHidden(sel('analyse-anyway')), true);
      assert.equal(await page.isVisible(sel('anyway-not-skin')), true);
      // Clinician mode (Settings, kept on this device): offered, but only after a confirmation that says why.
      await page.check(sel('clinician-mode'));
      assert.equal(await page.evaluate(() => localStorage.getItem('dermcam.clinicianMode')), '1');
      await page.click(sel('analyse-anyway'));
      assert.equal(await page.isVisible(sel('anyway-dialog')), true);
      assert.match(await page.textContent(sel('anyway-reasons')), /does not look like a close-up of skin/);
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'anyway-cancel');
      await page.click(sel('anyway-cancel'));
      assert.equal(await page.isHidden(sel('anyway-dialog')), true);
      assert.equal(await page.isHidden(sel('result')), true, 'cancelled: nothing analysed');
      await page.click(sel('analyse-anyway'));
      await page.click(sel('anyway-confirm'));
      await page.waitForSelector(`${sel('result')}:not([hidden])`);
      assert.equal(await page.isVisible(sel('forced-banner')), true);
      // Never the patient's wording: no likelihood words, no advice, and never "100%".
      assert.equal(await page.getAttribute(sel('finding'), 'data-band'), 'forced');
      assert.match(await page.textContent(sel('finding')), /failed the checks \(unreliable\)/);
      assert.doesNotMatch(await page.textContent(sel('finding')), /likely|possible/);
      assert.equal(await page.isHidden(sel('advice')), true);
      assert.doesNotMatch(await page.evaluate(() => document.body.innerText), /100(\.0)?\s?%/);
      assert.match(await page.textContent(sel('forced-banner')), /failed the photo checks.*unreliable/);
      assert.equal(await page.isHidden(sel('refusal')), true);
      assert.equal((await page.$$(`${sel('predictions')} li`)).length, 6);
      assert.equal(await page.isHidden(sel('low-confidence')), true, 'a refusal is not shown as low confidence');
      await page.screenshot({ path: join(ARTIFACTS, 'gate-forced-phone-en.png'), fullPage: true });

      // The next photo starts clean: a good one has no banner, and says what the demo model is.
      await analyse(page, PHOTO);
      assert.equal(await page.isVisible(sel('result')), true);
      assert.equal(await page.isHidden(sel('forced-banner')), true);
      assert.match(await page.textContent(sel('result-note')), /trained only on computer-generated pictures/);
      assert.equal(await page.isHidden(sel('no-ood-check')), true);
      assert.deepEqual(errors, []);
      await context.close();
    });

  test('a flash reflected off the spot is refused as glare, with the flash advice, in both languages', async () => {
    const { context, page } = await newPage({ locale: 'en-GB' });
    await analyse(page, GLARE);
    assert.deepEqual(await page.$$eval(`${sel('refusal-reasons')} li`, (lis) => lis.map((li) => li.dataset.code)), ['glare']);
    assert.match(await page.textContent(sel('refusal')), /Light shines off the spot.*Turn off the flash/);
    assert.deepEqual(await conditionTextOnScreen(page), []);
    await page.screenshot({ path: join(ARTIFACTS, 'gate-glare-en.png'), fullPage: true });
    await page.click(sel('language-vi'));
    assert.match(await page.textContent(sel('refusal')), /Ánh sáng phản chiếu.*tắt đèn flash/);
    await page.screenshot({ path: join(ARTIFACTS, 'gate-glare-vi.png'), fullPage: true });
    await context.close();
  });

  test('a washed-out photo is told to wipe the lens and move from the lamp, not that it is blurry (phone, both languages)', async () => {
    const { context, page, errors } = await newPage({ locale: 'en-GB', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await analyse(page, FADED);
    const codes = await page.$$eval(`${sel('refusal-reasons')} li`, (lis) => lis.map((li) => li.dataset.code));
    assert.equal(codes[0], 'washed_out', codes.join());
    assert.ok(!codes.includes('blurry'), codes.join());
    assert.match(await page.textContent(`${sel('refusal-reasons')} li`), /washed out.*Wipe the camera lens/);
    assert.deepEqual(await conditionTextOnScreen(page), []);
    await page.screenshot({ path: join(ARTIFACTS, 'gate-faded-phone-en.png') });
    await page.click(sel('language-vi'));
    assert.match(await page.textContent(`${sel('refusal-reasons')} li`), /bạc màu.*lau ống kính/);
    await page.$eval(sel('refusal'), (card) => card.scrollIntoView());
    await page.screenshot({ path: join(ARTIFACTS, 'gate-faded-phone-vi.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a photo refused as not skin shows, on request, what did not look like skin (phone, both languages)', async () => {
    const { context, page, errors } = await newPage({ locale: 'en-GB', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await analyse(page, PASTED);
    assert.ok((await page.$$eval(`${sel('refusal-reasons')} li`, (lis) => lis.map((li) => li.dataset.code))).includes('not_skin'));
    assert.equal(await page.isVisible(sel('why-refused-show')), true);
    assert.equal(await page.isHidden(sel('why-refused-caption')), true);
    // How red each pixel of the canvas is (red minus blue), kept in the page to compare the map with the photo.
    const keepRedness = (key) => page.$eval(sel('refused-photo'), (canvas, name) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      window[name] = Float32Array.from({ length: data.length / 4 }, (_, i) => data[i * 4] - data[i * 4 + 2]);
      return { width: canvas.width, height: canvas.height };
    }, key);
    const size = await keepRedness('photoRedness');
    await page.click(sel('why-refused-show'));
    await page.waitForSelector(`${sel('why-refused-caption')}:not([hidden])`);
    await keepRedness('mapRedness');
    // Where the map made the picture reddest: the centre of the 2% of pixels whose redness grew most.
    const hottest = await page.evaluate(({ width }) => {
      const gain = window.mapRedness.map((v, i) => v - window.photoRedness[i]);
      const cut = [...gain].sort((a, b) => b - a)[Math.floor(gain.length * 0.02)];
      let [x, y, n] = [0, 0, 0];
      gain.forEach((g, i) => {
        if (g < cut) return;
        [x, y, n] = [x + (i % width), y + Math.floor(i / width), n + 1];
      });
      return [x / n / width, y / n / width];
    }, size);
    // The face covers 51-231 of the 512 px photo (0.10-0.45 of each side); the map's 16 x 16 cells blur its edge.
    assert.ok(hottest.every((v) => v > 0.04 && v < 0.52), `the map's hottest part is at ${hottest} of the photo`);
    assert.match(await page.textContent(sel('why-refused-caption')), /least like the skin close-ups/);
    assert.equal(await page.textContent(sel('why-refused-show')), 'Show the photo again');
    assert.deepEqual(await conditionTextOnScreen(page), [], 'no condition and no percentage with the map');
    await page.screenshot({ path: join(ARTIFACTS, 'gate-why-not-skin-phone-en.png'), fullPage: true });
    await page.click(sel('language-vi'));
    assert.match(await page.textContent(sel('why-refused-caption')), /ít giống nhất với ảnh chụp cận da/);
    assert.equal(await page.textContent(sel('why-refused-show')), 'Xem lại ảnh');
    await page.screenshot({ path: join(ARTIFACTS, 'gate-why-not-skin-phone-vi.png'), fullPage: true });
    // Back to the photo and to the map again: the map was computed once for this refusal.
    await page.click(sel('why-refused-show'));
    assert.equal(await page.isHidden(sel('why-refused-caption')), true);
    await keepRedness('againRedness');
    assert.equal(await page.evaluate(() => window.againRedness.every((v, i) => v === window.photoRedness[i])), true, 'the photo again');
    await page.click(sel('why-refused-show'));
    assert.equal(await page.isVisible(sel('why-refused-caption')), true);
    assert.equal((await page.evaluate(() => window.workerRequests)).filter((type) => type === 'whyRefused').length, 1);
    // A photo refused for its quality alone has no such map to offer.
    await analyse(page, BLURRY);
    assert.equal(await page.isHidden(sel('why-refused')), true);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a blurry photo is refused as blurry, with how to focus, in both languages; "analyse anyway" asks first', async () => {
    const { context, page } = await newPage({ locale: 'vi-VN' });
    await analyse(page, BLURRY);
    assert.deepEqual(await page.$$eval(`${sel('refusal-reasons')} li`, (lis) => lis.map((li) => li.dataset.code)), ['blurry']);
    assert.match(await page.textContent(sel('refusal')), /Ảnh bị mờ.*10-15 cm/);
    assert.deepEqual(await conditionTextOnScreen(page), []);
    await page.click(sel('language-en'));
    assert.match(await page.textContent(sel('refusal')), /blurry.*10-15 cm.*focus/);
    // Not a not-skin refusal: offered in patient mode, but one tap only opens the question; Escape cancels.
    await page.click(sel('analyse-anyway'));
    assert.equal(await page.isVisible(sel('anyway-dialog')), true);
    assert.match(await page.textContent(sel('anyway-reasons')), /blurry/);
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden(sel('anyway-dialog')), true);
    assert.equal(await page.isHidden(sel('result')), true);
    await context.close();
  });
});

describe('choosing a photo', () => {
  test('a dropped photo is analysed; "Take a photo" opens the rear camera\'s picker and its photo is analysed', async () => {
    const { context, page } = await newPage({ locale: 'en-US' });
    const bytes = [...readFileSync(PHOTO)];
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('[data-testid="drop-zone"]');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await page.click(sel('analyse-region'));
    await page.waitForSelector(`${sel('predictions')} li`, { state: 'attached', timeout: 60_000 });
    assert.equal((await page.$$(`${sel('predictions')} li`)).length, 6);
    // "Take a photo" opens the picker of the input that asks for the rear camera, and the photo taken is checked.
    const chooserOpened = page.waitForEvent('filechooser');
    await page.click(sel('take-photo'));
    const chooser = await chooserOpened;
    assert.equal(await chooser.element().getAttribute('capture'), 'environment');
    assert.equal(await chooser.element().getAttribute('accept'), 'image/*');
    const before = await page.evaluate(() => document.body.dataset.analyses);
    await chooser.setFiles(PHOTO);
    await page.click(sel('analyse-region'));
    await page.waitForFunction((old) => document.body.dataset.analyses !== old, before);
    assert.equal(await page.getAttribute(sel('finding'), 'data-label'), 'melanoma');
    await context.close();
  });
});

describe('language, phone screen and keyboard', () => {
  test('Vietnamese follows the browser and can be switched', async () => {
    const { context, page } = await newPage({ locale: 'vi-VN' });
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    assert.match(await page.textContent(sel('disclaimer')), /không phải là chẩn đoán/);
    await analyse(page, PHOTO);
    assert.match(await page.textContent(sel('predictions')), /Nốt ruồi|dày sừng|mạch máu|trứng cá|chàm|hắc tố/i);
    await page.click(sel('language-en'));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent(sel('disclaimer')), /not a diagnosis/);
    await context.close();
  });

  test('usable on a phone screen and by keyboard', async () => {
    const { context, page, errors } = await newPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true,
      locale: 'en-US' });
    await analyse(page, PHOTO);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    assert.ok(widths.doc <= widths.view + 1, `horizontal scroll: ${widths.doc} > ${widths.view}`);
    await page.screenshot({ path: join(ARTIFACTS, 'app-phone.png'), fullPage: true });
    // Every control is reachable with Tab and labelled.
    const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input:not([hidden]), select, button')]
      .filter((el) => !el.closest('label') && !el.textContent.trim() && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML));
    assert.deepEqual(unlabeled, []);
    for (const id of ['original', 'overlay', 'model-progress']) assert.ok(await page.getAttribute(sel(id), 'aria-label'), id);
    await page.click(`${sel('advanced')} summary`);
    await page.focus(sel('method'));
    const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.keyboard.press('ArrowDown');
    await waitForRender(page, stamp);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('bring your own model', () => {
  test('a local .onnx without description is prepared in the worker and explains photos', async () => {
    const { context, page } = await newPage({ locale: 'en-US' });
    await page.click(`${sel('own-model')} summary`);
    await page.setInputFiles(sel('own-model-onnx'), join(EXPLAIN_FIXTURES, 'mlp_head/model.onnx'));
    await page.click(sel('own-model-load'));
    await page.waitForFunction(() => document.querySelector('[data-testid="model-name"]').textContent.includes('Your own model'));
    // Each step of the preparation was named on the status line as it started, in order.
    const { STRINGS } = await import('../../web/js/i18n.mjs');
    const said = [...new Set((await page.evaluate(() => window.statusLog)).filter((s) => s.startsWith('Preparing the model, step')))];
    assert.deepEqual(said, ['read', 'probe', 'layer', 'graph', 'session', 'check'].map((step, i) =>
      `Preparing the model, step ${i + 1} of 6: ${STRINGS.en[`prepareStep_${step}`]}…`));
    await analyse(page, PHOTO);
    assert.match(await page.textContent(sel('predictions')), /Class \d/);
    assert.equal(await page.isVisible(sel('low-confidence')), true);  // an untrained-looking spread of scores
    assert.match(await page.textContent(sel('no-ood-check')), /no check for photos that are not skin close-ups/);
    await page.screenshot({ path: join(ARTIFACTS, 'app-own-model.png'), fullPage: true });
    await page.setInputFiles(sel('own-model-onnx'), join(FIXTURES, 'photo.jpg'));
    await page.click(sel('own-model-load'));
    await page.waitForSelector(`${sel('error')}:not([hidden])`);
    assert.match(await page.textContent(sel('error')), /could not be loaded\..*This is not a readable ONNX model/);

    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'dermcam-byom-'));
    const { writeFileSync } = await import('node:fs');
    const { testConfig } = await import('../js/test-config.mjs');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"schema": "dermcam-model/1", labels: oops}');
    const mismatched = join(dir, 'mismatched.json');
    writeFileSync(mismatched, JSON.stringify(testConfig({ input: { ...testConfig().input, width: 96, height: 96 } })));
    const wrongLabels = join(dir, 'labels.json');
    writeFileSync(wrongLabels, JSON.stringify(testConfig({ labels: testConfig().labels.slice(0, 3) })));
    const model = join(EXPLAIN_FIXTURES, 'mlp_head/model.onnx');
    for (const [json, pattern] of [[broken, /is not valid JSON/], [mismatched, /fixed size of 64 where the requested input shape has 96/],
      [wrongLabels, /lists 3 labels, but the model scores 6 classes/]]) {
      await page.setInputFiles(sel('own-model-onnx'), model);
      await page.setInputFiles(sel('own-model-json'), json);
      await page.click(sel('own-model-load'));
      await page.waitForFunction((re) => {
        const error = document.querySelector('[data-testid="error"]');
        return !error.hidden && new RegExp(re).test(error.textContent);
      }, pattern.source);
    }
    // After all that, the app still loads a good model and analyses a photo.
    await page.setInputFiles(sel('own-model-json'), []);
    await page.setInputFiles(sel('own-model-onnx'), model);
    await page.click(sel('own-model-load'));
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent.includes('ready'));
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true);
    await context.close();
  });
});

describe('pixel-level methods', () => {
  test('Guided Grad-CAM and integrated gradients map the bundled model\'s answer at the input\'s resolution', async () => {
    const { context, page } = await newPage({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await analyse(page, PHOTO);
    await page.click(`${sel('advanced')} summary`);
    for (const [method, caption] of [['guidedgradcam', /\(Guided Grad-CAM\)/], ['integratedgradients', /\(Integrated gradients\)/]]) {
      await page.selectOption(sel('method'), method);
      await page.waitForFunction((id) => document.querySelector('[data-testid="overlay"]').dataset.method === id, method, { timeout: 120_000 });
      assert.match(await page.textContent(sel('overlay-caption')), caption);
      assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    }
    assert.match(await page.textContent(sel('method-help')), /Fades the photo in from a plain image/);
    assert.equal(await page.isDisabled(sel('eigen-smooth')), true);
    await page.screenshot({ path: join(ARTIFACTS, 'pixel-integrated-gradients-desktop-en.png'), fullPage: true });
    await page.click(sel('language-vi'));
    assert.match(await page.textContent(sel('method-help')), /Làm ảnh hiện dần từ một ảnh trơn/);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('concepts the model sees', () => {
  test('Deep Feature Factorization on the phone: the tinted photo and four concepts with their classes; a new photo drops them', async () => {
    const { context, page } = await newPage({ locale: 'vi-VN', viewport: { width: 390, height: 844 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await analyse(page, PHOTO);
    await page.click(`${sel('advanced')} summary`);
    await page.click(sel('concepts-run'));
    await page.waitForSelector(`${sel('concepts-list')}:not([hidden])`, { timeout: 60_000 });
    const items = await page.$$eval(`${sel('concepts-list')} li`, (lis) => lis.map((li) => li.textContent));
    assert.equal(items.length, 4);
    for (const [i, text] of items.entries()) assert.match(text, new RegExp(`^Khái niệm ${i + 1}: hướng tới .+\\(`));
    assert.match(await page.textContent(sel('concepts-status')), /^4 khái niệm, cùng nhau chiếm \d+% /);
    const size = await page.$eval(sel('concepts-view'), (canvas) => [canvas.width, canvas.height, canvas.getBoundingClientRect().width]);
    assert.ok(size[0] > 0 && size[1] > 0 && size[2] <= 390, `canvas ${size}`);
    await page.$eval(sel('concepts'), (section) => section.scrollIntoView());
    await page.screenshot({ path: join(ARTIFACTS, 'concepts-phone-vi.png') });
    // Another map of the same photo keeps them; another photo drops them.
    const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'layercam');
    await waitForRender(page, stamp);
    assert.equal(await page.isVisible(sel('concepts-list')), true);
    await analyse(page, join(FIXTURES, 'lesion_glare.jpg'));
    assert.equal(await page.isHidden(sel('concepts-list')), true);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('a model dermcam cannot differentiate', () => {
  test('is loaded forward-only: only the methods without gradients are offered, saying why; occlusion and RISE map it', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { demoWithoutGradients } = await import('../js/explain-helpers.mjs');
    const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 'dermcam-forward-only-'));
    writeFileSync(join(dir, 'model.onnx'), demoWithoutGradients());
    const { context, page } = await newPage({ locale: 'vi-VN', viewport: { width: 390, height: 844 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.click(`${sel('own-model')} summary`);
    await page.setInputFiles(sel('own-model-onnx'), join(dir, 'model.onnx'));
    await page.setInputFiles(sel('own-model-json'), join(FIXTURES, '../../../models/demo/model.json'));
    await page.click(sel('own-model-load'));
    // Loaded: the methods came with the reason some are missing.
    await page.waitForFunction(() => !document.querySelector('[data-testid="methods-note"]').hidden ||
      !document.querySelector('[data-testid="error"]').hidden, null, { timeout: 120_000 });
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    const methods = await page.$$eval(`${sel('method')} option`, (options) => options.map((o) => o.value));
    for (const id of ['occlusion', 'rise', 'scorecam']) assert.ok(methods.includes(id), id);
    for (const id of ['gradcam', 'hirescam', 'finercam']) assert.ok(!methods.includes(id), id);
    assert.equal(await page.getAttribute(sel('overlay'), 'data-method'), 'occlusion');
    await page.click(`${sel('advanced')} summary`);
    assert.match(await page.textContent(sel('methods-note')), /không lần ngược lại được \(Shrink\)/);
    assert.equal(await page.isDisabled(sel('eigen-smooth')), true, 'no layer to smooth');
    await page.screenshot({ path: join(ARTIFACTS, 'forward-only-phone-vi.png'), fullPage: true });
    await page.click(sel('language-en'));
    assert.match(await page.textContent(sel('methods-note')), /cannot trace backwards \(Shrink\)/);
    assert.match(await page.textContent(sel('method-help')), /Covers one small square of the photo at a time/);
    // RISE runs the model a thousand times: progress with Stop keeps occlusion's map; asked again, it finishes.
    const shown = await page.getAttribute(sel('overlay'), 'data-stamp');
    await page.selectOption(sel('method'), 'rise');
    await page.waitForSelector(`${sel('method-progress')}:not([hidden])`);
    assert.match(await page.textContent(sel('method-progress-text')), /Computing this map: \d+ of 1000 extra model runs/);
    await page.click(sel('method-cancel'));
    await page.waitForSelector(`${sel('method-progress')}[hidden]`, { state: 'attached' });
    assert.equal(await page.getAttribute(sel('overlay'), 'data-stamp'), shown);
    assert.equal(await page.inputValue(sel('method')), 'occlusion');
    await page.selectOption(sel('method'), 'rise');
    await page.waitForFunction(() => document.querySelector('[data-testid="overlay"]').dataset.method === 'rise', null, { timeout: 300_000 });
    assert.match(await page.textContent(sel('overlay-caption')), /\(RISE\)/);
    // The map is checked like any other, and its raw map (the input's resolution) can be downloaded.
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid="map-check"]');
      return !box.hidden && ['passed', 'failed', 'unchecked'].includes(box.dataset.verdict);
    }, null, { timeout: 120_000 });
    assert.match(await page.textContent(sel('map-check')), /applies to gradient methods only|not reliable for this photo/);
    // Only what was tested is claimed: no mirror-image test for a method without gradients.
    assert.doesNotMatch(await page.textContent(sel('map-check')), /stays the same for a mirror image/);
    await page.screenshot({ path: join(ARTIFACTS, 'forward-only-rise-phone-en.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('bring your own transformer', () => {
  test('a Vision Transformer (.onnx only) is prepared in the worker: its token grid is explained; Ablation-CAM says why not', async () => {
    const { context, page } = await newPage({ locale: 'en-US' });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.click(`${sel('own-model')} summary`);
    await page.setInputFiles(sel('own-model-onnx'), join(EXPLAIN_FIXTURES, 'deit_opset17/model.onnx'));
    await page.click(sel('own-model-load'));
    await page.waitForFunction(() => document.querySelector('[data-testid="model-name"]').textContent.includes('Your own model'));
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    assert.match(await page.textContent(sel('predictions')), /Class \d/);
    // The map covers the photo: the 6 x 6 token grid, upsampled; not the patch embedding's.
    const pixels = await overlayPixels(page);
    const changed = await heatCoverage(page, pixels);
    assert.ok(changed > pixels.length / 4 / 10, `heat drawn on ${changed} pixels`);
    await page.screenshot({ path: join(ARTIFACTS, 'app-own-vit.png'), fullPage: true });
    await page.click(`${sel('advanced')} summary`);
    for (const method of ['gradcam++', 'eigencam', 'scorecam']) {
      const stamp = await page.getAttribute(sel('overlay'), 'data-stamp');
      await page.selectOption(sel('method'), method);
      await waitForRender(page, stamp);
      assert.equal(await page.isHidden(sel('error')), true, `${method}: ${await page.textContent(sel('error'))}`);
    }
    await page.selectOption(sel('method'), 'ablationcam');
    await page.waitForSelector(`${sel('error')}:not([hidden])`);
    assert.match(await page.textContent(sel('error')), /Ablation-CAM cannot run on this model/);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('offline', () => {
  test('after the first visit the app works without a network', async () => {
    const { context, page } = await newPage({ locale: 'en-US' });
    // The first visit has fetched the model and the runtime (at idle) into the cache.
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent === 'Model ready.',
      null, { timeout: 60_000 });
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active.state;
    });
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await context.setOffline(true);
    await page.reload();
    await analyse(page, PHOTO);
    assert.equal(await page.isHidden(sel('error')), true, await page.textContent(sel('error')));
    assert.equal((await page.$$(`${sel('predictions')} li`)).length, 6);
    await page.screenshot({ path: join(ARTIFACTS, 'app-offline.png'), fullPage: true });
    await context.close();
  });
});

describe('hostile models in the app', () => {
  test('each is refused with its sentence in both languages; the result and the model in use stay; bad history entries are skipped', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { writeHostileCases } = await import('../../scripts/fixtures/make-hostile-models.mjs');
    const { STRINGS } = await import('../../web/js/i18n.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'dermcam-hostile-app-'));
    const cases = writeHostileCases(dir, ['nan-output', 'rtl-override-label', 'metadata-huge-layer', 'json-false', 'five-million-nodes']);
    const { context, page, errors } = await newPage({ locale: 'en-US' });
    await analyse(page, PHOTO);
    const finding = await page.getAttribute(sel('finding'), 'data-label');
    await page.click(`${sel('own-model')} summary`);
    const sentence = { invalid_output: 'errorInvalidOutput', bad_model_config: 'errorModelConfig', bad_metadata: 'errorBadMetadata',
      model_too_large: 'errorModelTooLarge' };
    for (const item of cases) {
      const json = join(dir, item.name, 'model.json');
      await page.setInputFiles(sel('own-model-onnx'), join(dir, item.name, 'model.onnx'));
      await page.setInputFiles(sel('own-model-json'), existsSync(json) ? json : []);
      await page.click(sel('own-model-load'));
      await page.waitForFunction((code) => {
        const error = document.querySelector('[data-testid="error"]');
        return !error.hidden && new RegExp(`^(${code})$`).test(error.dataset.code);
      }, item.code);
      const code = await page.getAttribute(sel('error'), 'data-code');
      const text = await page.textContent(sel('error'));
      assert.ok(text.includes(STRINGS.en[sentence[code]]), `${item.name}: ${text}`);
      assert.ok(text.includes(STRINGS.en.errorModelKept), `${item.name}: ${text}`);
      assert.doesNotMatch(await page.textContent(sel('result')), /NaN|Infinity|\u202e/, item.name);
      // The result of the bundled model is still shown, with its finding.
      assert.equal(await page.isVisible(sel('result')), true, item.name);
      assert.equal(await page.getAttribute(sel('finding'), 'data-label'), finding, item.name);
      await page.click('[data-language="vi"]');
      const vietnamese = await page.textContent(sel('error'));
      assert.ok(vietnamese.includes(STRINGS.vi[sentence[code]]), `${item.name}: ${vietnamese}`);
      await page.click('[data-language="en"]');
    }
    await page.screenshot({ path: join(ARTIFACTS, 'app-hostile-model.png'), fullPage: true });
    // The bundled model is still the one in use: a new photo gets its result.
    await analyse(page, PHOTO);
    assert.equal(await page.getAttribute(sel('finding'), 'data-label'), finding);
    assert.match(await page.textContent(sel('model-name')), /dermcam demo model/);

    // A stored check a hostile model left behind (a right-to-left override, a NaN probability) is skipped, said so.
    await page.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open('dermcam');  // at the version the app made (2: with the spots)
      open.onupgradeneeded = () => open.result.createObjectStore('checks', { keyPath: 'id', autoIncrement: true });
      open.onsuccess = () => {
        const store = open.result.transaction('checks', 'readwrite').objectStore('checks');
        const photo = new Blob([new Uint8Array(10)], { type: 'image/jpeg' });
        store.add({ date: new Date().toISOString(), model: { name: { en: 'M', vi: 'M' }, version: '' }, method: 'gradcam',
          label: { id: 'a', en: 'Harmless \u202e%4.15 :Melanoma', vi: 'x' }, predictions: [{ id: 'a', probability: 0.5 }], photo, overlay: photo });
        store.add({ date: new Date().toISOString(), model: { name: { en: 'M', vi: 'M' }, version: '' }, method: 'gradcam',
          label: { id: 'a', en: 'A', vi: 'A' }, predictions: [{ id: 'a', probability: NaN }], photo, overlay: photo });
        store.transaction.oncomplete = resolve;
        store.transaction.onerror = reject;
      };
      open.onerror = reject;
    }));
    await page.reload();
    await page.waitForSelector(`${sel('history-skipped')}:not([hidden])`);
    assert.match(await page.textContent(sel('history-skipped')), /2 saved check\(s\) could not be read safely/);
    assert.equal(await page.locator(`${sel('history-list')} li`).count(), 0);
    await analyse(page, PHOTO);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('stopping a model that is being prepared', () => {
  test('Stop ends the preparation with a sentence in both languages; the bundled model then analyses the next photo', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { writeHostileCases } = await import('../../scripts/fixtures/make-hostile-models.mjs');
    const { STRINGS } = await import('../../web/js/i18n.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'dermcam-stop-'));
    writeHostileCases(dir, ['relu-chain']);
    const { context, page, errors } = await newPage({ locale: 'en-US' });
    await page.click(`${sel('own-model')} summary`);
    await page.setInputFiles(sel('own-model-onnx'), join(dir, 'relu-chain/model.onnx'));
    await page.setInputFiles(sel('own-model-json'), join(dir, 'relu-chain/model.json'));
    // Load, and Stop in the same task: the Stop button is there at once, before any file is read.
    await page.evaluate(() => {
      document.querySelector('[data-testid="own-model-load"]').click();
      document.querySelector('[data-testid="own-model-stop"]').click();
    });
    await page.waitForSelector(`${sel('error')}[data-code="load_stopped"]:not([hidden])`);
    assert.ok((await page.textContent(sel('error'))).includes(STRINGS.en.errorLoadStopped));
    assert.equal(await page.isHidden(sel('own-model-stop')), true);
    await page.click('[data-language="vi"]');
    assert.ok((await page.textContent(sel('error'))).includes(STRINGS.vi.errorLoadStopped));
    await page.click('[data-language="en"]');
    await analyse(page, PHOTO);
    assert.match(await page.textContent(sel('model-name')), /dermcam demo model/);
    assert.equal(await page.isVisible(sel('finding')), true);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
