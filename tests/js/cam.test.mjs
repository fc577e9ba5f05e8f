// The CAM engine through the WebAssembly module: registry, golden maps, bit-identity with native,
// overlays, PNG, and refusal of bad input.
import { DermcamError } from '../../web/js/errors.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  boundaryTraffic, camMethods, colormaps, computeCam, decodeImage, encodePng, heatLayers, photoView, prepareImage,
  renderOverlay,
} from '../../web/js/core.mjs';
import { decodeNpy, encodeNpy } from '../../web/js/npy.mjs';
import { NATIVE_BUILD, ROOT, fixture } from './helpers.mjs';
import { spreadGradients } from './explain-helpers.mjs';

const CAM_FIXTURES = join(ROOT, 'tests/fixtures/cam');
const npy = (name) => decodeNpy(new Uint8Array(readFileSync(join(CAM_FIXTURES, name))));
const A = npy('a.npy');
const G = npy('g.npy');

// Score-CAM's and Ablation-CAM's value per channel for class `classIndex`: its gradients' channel means, as the
// golden references take them (make-cam-references.py) and the native tool computes them (cam_tool.cpp).
function channelMeans(classIndex) {
  const [, c, h, w] = A.shape;
  const z = h * w;
  return Float32Array.from({ length: c }, (_, k) => {
    let sum = 0;
    for (let i = 0; i < z; i++) sum += G.data[(classIndex * c + k) * z + i];
    return sum / z;
  });
}

function singleRun(extra = {}) {
  const channelValues = ['scorecam', 'ablationcam'].includes(extra.method) ? channelMeans(extra.classIndex ?? 0) : undefined;
  return {
    method: 'gradcam', outputWidth: 40, outputHeight: 32,
    runs: [{ layers: [{ activations: A.data, gradients: G.data, channelValues, shape: A.shape, layout: 'NCHW' }] }],
    ...extra,
  };
}

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('the registry lists the fourteen methods once', async () => {
  const methods = await camMethods();
  assert.deepEqual(methods.map((m) => m.id), ['gradcam', 'hirescam', 'gradcamelementwise', 'gradcam++', 'xgradcam',
    'layercam', 'eigencam', 'eigengradcam', 'finercam', 'scorecam', 'ablationcam', 'fem', 'kpca_cam', 'randomcam']);
  for (const id of ['eigencam', 'fem', 'kpca_cam']) assert.equal(methods.find((m) => m.id === id).needsGradients, false);
  assert.ok(methods.every((m) => m.label && m.description && m.reference));
  assert.deepEqual((await colormaps()).map((c) => c.id), ['jet', 'turbo', 'viridis', 'inferno']);
});

// FinerCAM: the target's gradient combined from the classes' own gradients equals autograd's gradient of
// pytorch-grad-cam's FinerWeightedTarget (softmax weights not detached), and its map equals Grad-CAM of it.
test('FinerCAM\'s combined gradient equals autograd of FinerWeightedTarget, and its map pytorch-grad-cam\'s', async () => {
  const { finerTarget } = await import('../../web/js/cam/finer-cam.mjs');
  const a = npy('finer_a.npy');
  const scores = npy('finer_scores.npy').data;
  const perClass = npy('finer_class_gradients.npy');
  const want = npy('finer_target_gradient.npy').data;
  const explained = scores.indexOf(Math.max(...scores));
  const target = finerTarget(scores, explained);
  assert.equal(target.classes.length, 4);
  const per = want.length;
  const combined = new Float32Array(per);
  target.classes.forEach((c, j) => {
    for (let i = 0; i < per; i++) combined[i] += target.coefficients[j] * perClass.data[c * per + i];
  });
  const scale = Math.max(...want.map(Math.abs));
  assert.ok(maxAbsDiff(combined, want) <= 1e-5 * scale, `gradient differs by ${maxAbsDiff(combined, want)} of ${scale}`);
  assert.ok(target.neglected <= 1e-6 * Math.max(...target.coefficients.map(Math.abs)), 'the other classes are negligible');
  const got = await computeCam({ method: 'finercam', outputWidth: 40, outputHeight: 32,
    runs: [{ layers: [{ activations: a.data, gradients: combined, shape: a.shape, layout: 'NCHW' }] }] });
  assert.ok(maxAbsDiff(got.map, npy('ref_finercam_plain_main.npy').data) < 2e-5);
  // Explaining a class is not the same as contrasting it: the plain Grad-CAM of the class differs.
  const plain = await computeCam({ method: 'gradcam', outputWidth: 40, outputHeight: 32, runs: [{ layers: [{
    activations: a.data, gradients: perClass.data.subarray(explained * per, (explained + 1) * per), shape: a.shape,
    layout: 'NCHW' }] }] });
  assert.ok(maxAbsDiff(plain.map, got.map) > 0.05);
});

// A method is one file in wasm/cam/ plus one line in wasm/cam/methods.inc: the unit files, the list and the
// module's registry agree, and no enum or CMake list has to be kept in step.
test('the registry is the method units listed in wasm/cam/methods.inc, nothing else', async () => {
  const { readdirSync } = await import('node:fs');
  const folder = join(ROOT, 'wasm/cam');
  const defined = readdirSync(folder).filter((f) => f.endsWith('.cpp'))
    .flatMap((f) => [...readFileSync(join(folder, f), 'utf8').matchAll(/extern const CamMethodInfo (\w+) = \{\s*"([^"]+)"/g)])
    .map(([, name, id]) => [name, id]);
  const listed = [...readFileSync(join(folder, 'methods.inc'), 'utf8').matchAll(/^DERMCAM_CAM_METHOD\((\w+)\)$/gm)].map((m) => m[1]);
  assert.deepEqual(listed.slice().sort(), defined.map(([name]) => name).sort(), 'a unit is not listed, or a line names no unit');
  const byName = Object.fromEntries(defined);
  assert.deepEqual((await camMethods()).map((m) => m.id), listed.map((name) => byName[name]));
  assert.doesNotMatch(readFileSync(join(ROOT, 'wasm/cam_methods.h'), 'utf8'), /enum class/);
  assert.doesNotMatch(readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8'), /wasm\/cam\/\w+\.cpp/);
});

test('every method matches the pytorch-grad-cam reference maps', async () => {
  for (const { id } of await camMethods()) {
    for (const eigenSmooth of [false, true]) {
      for (const classIndex of [0, 1]) {
        const want = npy(`ref_${id}_${eigenSmooth ? 'eigen' : 'plain'}_${classIndex}.npy`);
        const got = await computeCam(singleRun({ method: id, eigenSmooth, classIndex }));
        assert.equal(got.status, 'ok');
        assert.deepEqual([got.height, got.width], want.shape);
        assert.ok(maxAbsDiff(got.map, want.data) < 2e-5, `${id} eigen=${eigenSmooth} class=${classIndex}`);
      }
    }
  }
});

test('wasm maps are bit-identical to native', async (t) => {
  const tool = join(NATIVE_BUILD, 'tests/native/dermcam_cam_tool');
  assert.ok(existsSync(tool), `native tool missing at ${tool}: build the native tree first`);
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cam-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const { id } of await camMethods()) {
    for (const [eigen, classIndex, w, h] of [[false, 0, 224, 224], [true, 1, 40, 32]]) {
      const out = join(dir, `${id}.npy`);
      execFileSync(tool, [join(CAM_FIXTURES, 'a.npy'), join(CAM_FIXTURES, 'g.npy'), id, eigen ? '1' : '0',
        String(classIndex), String(w), String(h), out]);
      const native = decodeNpy(new Uint8Array(readFileSync(out)));
      const wasm = await computeCam(singleRun({ method: id, eigenSmooth: eigen, classIndex, outputWidth: w,
        outputHeight: h }));
      assert.ok(Buffer.from(wasm.map.buffer).equals(Buffer.from(native.data.buffer)), `${id} eigen=${eigen}`);
    }
  }
});

test('NHWC gradients for K classes, raw maps and statuses come back', async () => {
  const [, c, h, w] = A.shape;
  const toNhwc = (src, offset) => {
    const out = new Float32Array(c * h * w);
    for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = src[offset + k * h * w + i];
    return out;
  };
  const gradients = new Float32Array(2 * c * h * w);
  gradients.set(toNhwc(G.data, 0), 0);
  gradients.set(toNhwc(G.data, c * h * w), c * h * w);
  const nhwc = await computeCam({ method: 'layercam', classIndex: 1, outputWidth: 40, outputHeight: 32,
    runs: [{ layers: [{ activations: toNhwc(A.data, 0), gradients, shape: [1, h, w, c], layout: 'NHWC' }] }] });
  const nchw = await computeCam(singleRun({ method: 'layercam', classIndex: 1 }));
  assert.deepEqual(nhwc.map, nchw.map);
  assert.equal(nhwc.layers[0].raw.length, h * w);
  assert.ok(nhwc.layers[0].rawMax > 0);

  const negative = G.data.map((v) => -Math.abs(v));
  const empty = await computeCam({ ...singleRun(), runs: [{ layers: [{ activations: A.data, gradients: negative,
    shape: A.shape }] }] });
  assert.equal(empty.status, 'all_zero');
  assert.match(empty.message, /nothing in this layer speaks for the class/);
  const nan = Float32Array.from(G.data);
  nan[3] = NaN;
  const broken = await computeCam({ ...singleRun(), runs: [{ layers: [{ activations: A.data, gradients: nan,
    shape: A.shape }] }] });
  assert.equal(broken.status, 'non_finite');
  // Eigen-CAM works without gradients.
  const eigen = await computeCam({ ...singleRun({ method: 'eigencam' }), runs: [{ layers: [{ activations: A.data,
    shape: A.shape }] }] });
  assert.equal(eigen.status, 'ok');
});

test('per-channel gradients (a global average pool\'s) give the maps of their spread-out copies, in both layouts', async () => {
  const [, c, h, w] = A.shape;
  // Class k's gradient: one value per channel (from the fixture's gradients, so it has both signs).
  const perChannel = Float32Array.from({ length: 2 * c }, (_, i) => G.data[i * 7]);
  const spread = (layout) => spreadGradients({ data: perChannel, dims: [1, 2, c] },
    { gradientsPerChannel: true, layout, shape: layout === 'NHWC' ? [h, w, c] : [c, h, w] }).data;
  const nhwcActivations = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwcActivations[p * c + ch] = A.data[ch * h * w + p];
  const layers = {
    NCHW: { activations: A.data, shape: A.shape },
    NHWC: { activations: nhwcActivations, shape: [1, h, w, c] },
  };
  for (const { id, needsGradients } of await camMethods()) {
    if (!needsGradients) continue;
    for (const [layout, layer] of Object.entries(layers)) {
      const options = (gradients, gradientsPerChannel) => ({ method: id, classIndex: 1, outputWidth: 40, outputHeight: 32,
        runs: [{ layers: [{ ...layer, layout, gradients, gradientsPerChannel }] }] });
      const full = await computeCam(options(spread(layout)));
      const compact = await computeCam(options(perChannel, true));
      assert.equal(compact.status, full.status, `${id} ${layout}`);
      assert.deepEqual(compact.map, full.map, `${id} ${layout}`);
      assert.deepEqual(compact.layers[0].raw, full.layers[0].raw, `${id} ${layout}`);
    }
  }
  await assert.rejects(computeCam({ method: 'gradcam', outputWidth: 40, outputHeight: 32, runs: [{ layers: [{
    activations: A.data, shape: A.shape, gradients: perChannel.subarray(1), gradientsPerChannel: true }] }] }),
  /K x its channel count/);
});

test('an overlay lands on the photo and downloads as PNG', async () => {
  const prepared = await prepareImage(fixture('photo.jpg'), { resize: 'letterbox' });
  const cam = await computeCam(singleRun({ outputWidth: 224, outputHeight: 224 }));
  const base = { display: prepared.display, map: cam.map, mapWidth: 224, mapHeight: 224,
    tensorContent: prepared.placement.tensorContent, tensorToDisplay: prepared.tensorToDisplay };
  const invisible = await renderOverlay({ ...base, opacity: 0 });
  assert.deepEqual(invisible.rgba, prepared.display.rgba);
  const overlay = await renderOverlay({ ...base, opacity: 0.6, colormap: 'viridis', box: true, outline: true });
  assert.deepEqual([overlay.width, overlay.height], [451, 300]);
  assert.ok(overlay.box && overlay.box.x1 > overlay.box.x0);
  let changed = 0;
  for (let i = 0; i < overlay.rgba.length; i += 4) changed += overlay.rgba[i] !== prepared.display.rgba[i];
  assert.ok(changed > overlay.rgba.length / 8, `only ${changed} pixels changed`);
  const png = await encodePng(overlay);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const decoded = await decodeImage(png);
  assert.deepEqual([decoded.width, decoded.height], [451, 300]);
  assert.equal(decoded.rgb[0], overlay.rgba[0]);
});

test('bad CAM input is refused with a clear message', async () => {
  const refuses = async (options, pattern) => {
    await assert.rejects(computeCam(options), (e) => e instanceof DermcamError && e.code === 'invalid_argument' &&
      pattern.test(e.message));
  };
  await refuses(singleRun({ method: 'gradcam+' }), /'method' must be one of gradcam, hirescam/);
  await refuses(singleRun({ classIndex: 2 }), /outside the 2 explained classes/);
  await refuses({ ...singleRun(), runs: [] }, /1 to 16 runs/);
  await refuses({ ...singleRun(), runs: [{ layers: [{ activations: A.data, gradients: G.data, shape: [1, 40, 5, 7] }] }] },
    /do not match its shape/);
  await refuses({ ...singleRun(), runs: [{ layers: [{ activations: Array.from(A.data), shape: A.shape }] }] },
    /must be a Float32Array/);
  await refuses({ ...singleRun(), runs: [{ layers: [{ activations: A.data, shape: A.shape }] }] }, /needs gradients/);
  await refuses({ ...singleRun(), runs: [{ layers: [{ activations: A.data, gradients: G.data.subarray(1), shape: A.shape }] }] },
    /K copies/);
  await assert.rejects(renderOverlay({ display: { width: 2, height: 2, rgba: new Uint8ClampedArray(15) },
    map: new Float32Array(4), mapWidth: 2, mapHeight: 2, tensorContent: { x0: 0, y0: 0, x1: 2, y1: 2 },
    tensorToDisplay: { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 } }), /rgba length does not match/);
});

test('.npy encoding round-trips and refuses other dtypes', () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const back = decodeNpy(encodeNpy(data, [2, 3]));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(back.data, data);
  assert.deepEqual(decodeNpy(encodeNpy(data, [6])).shape, [6]);
  const f64 = encodeNpy(data, [6]);
  const header = new TextDecoder().decode(f64.subarray(0, 64));
  f64.set(new TextEncoder().encode('<f8'), header.indexOf('<f4'));
  assert.throws(() => decodeNpy(f64), /dtype <f8 is not float32/);
  assert.throws(() => decodeNpy(new Uint8Array([1, 2, 3])), /magic/);
});

// The page composites the overlay from heatLayers(); the core's renderOverlay() must be exactly that arithmetic.
test('heatLayers composited as documented is exactly renderOverlay, for every colormap, opacity and line', async () => {
  const prepared = await prepareImage(fixture('photo.jpg'), { width: 64, height: 64, resize: 'center-crop', maxDisplaySide: 300 });
  const map = new Float32Array(64 * 64).map((_, i) => ((i % 64) * (Math.floor(i / 64))) / (63 * 63));
  const placement = { map, mapWidth: 64, mapHeight: 64, tensorContent: prepared.placement.tensorContent,
    tensorToDisplay: prepared.tensorToDisplay, threshold: 0.5 };
  const { display } = prepared;
  const layers = await heatLayers({ ...placement, displayWidth: display.width, displayHeight: display.height });
  const { covered } = layers;
  assert.ok(covered.x0 > 0 && covered.x1 < display.width, 'centre-cropped: the sides of the display have no heat');
  assert.ok(layers.outline.length > 0 && layers.boxEdges.length === 4);
  for (const { id, table } of await colormaps()) {
    for (const [opacity, outline, box] of [[0, false, false], [0.37, true, false], [0.5, false, true], [1, true, true]]) {
      const want = await renderOverlay({ ...placement, display, colormap: id, opacity, outline, box });
      const a = Math.round(opacity * 256);
      const got = Uint8ClampedArray.from(display.rgba);
      for (let y = covered.y0; y < covered.y1; y++) {
        for (let x = covered.x0; x < covered.x1; x++) {
          const i = y * display.width + x;
          for (let c = 0; c < 3; c++) got[i * 4 + c] = (got[i * 4 + c] * (256 - a) + table[layers.index[i] * 3 + c] * a + 128) >> 8;
        }
      }
      if (outline) for (const i of layers.outline) got.set([255, 255, 255], i * 4);
      for (const edge of box ? layers.boxEdges : []) {
        for (let y = edge.y0; y < edge.y1; y++) for (let x = edge.x0; x < edge.x1; x++) got.set([0, 255, 255], (y * display.width + x) * 4);
      }
      assert.deepEqual(got, want.rgba, `${id} opacity ${opacity} outline ${outline} box ${box}`);
      assert.deepEqual(want.box, box ? layers.box : null);
    }
  }
  await assert.rejects(heatLayers({ ...placement, displayWidth: 0, displayHeight: 10 }), (e) => e.code === 'invalid_argument');
  // `into` receives the index (the same array comes back), whatever it held before.
  const into = new Uint8Array(display.width * display.height).fill(77);
  const written = await heatLayers({ ...placement, displayWidth: display.width, displayHeight: display.height, into });
  assert.equal(written.index, into);
  assert.deepEqual(written.index, layers.index);
  assert.deepEqual(written.outline, layers.outline);
  await assert.rejects(heatLayers({ ...placement, displayWidth: display.width, displayHeight: display.height,
    into: into.subarray(1) }), /'into' must be a Uint8Array of displayWidth x displayHeight bytes/);
});

// The photo's view keeps the display copy, the runs and the map in the core: the same answers as the stateless
// calls, without sending any of it again.
test('a PhotoView gives the stateless calls\' answers from what it keeps, and refuses what it lacks', async () => {
  const prepared = await prepareImage(fixture('photo.jpg'), { resize: 'letterbox', view: true });
  const { view } = prepared;
  try {
    const placement = { tensorContent: prepared.placement.tensorContent, tensorToDisplay: prepared.tensorToDisplay };
    await assert.rejects(view.heatLayers(), /no map yet/);
    await assert.rejects(view.computeCam({ method: 'gradcam', outputWidth: 224, outputHeight: 224 }), /no runs/);
    const { runs } = singleRun();
    await view.setRuns([{ layers: runs[0].layers.map(({ channelValues, ...layer }) => layer) }]);
    for (const [method, classIndex] of [['gradcam', 0], ['gradcam', 1], ['layercam', 1], ['scorecam', 1], ['eigencam', 0]]) {
      const options = { method, classIndex, outputWidth: 224, outputHeight: 224 };
      boundaryTraffic({ reset: true });
      const kept = await view.computeCam({ ...options, channelValues: method === 'scorecam' ? [channelMeans(1)] : undefined });
      const sent = boundaryTraffic().bytesIn;
      assert.ok(sent <= A.data.byteLength / 8, `${method}: ${sent} bytes sent for a switch, the runs are kept`);
      const want = await computeCam(singleRun(options));
      assert.deepEqual(kept.map, want.map, `${method} class ${classIndex}`);
      assert.deepEqual(kept.layers.map((l) => l.raw), want.layers.map((l) => l.raw));
      const looks = { colormap: 'viridis', opacity: 0.6, outline: true, box: true, threshold: 0.4 };
      const base = { ...placement, map: want.map, mapWidth: 224, mapHeight: 224, threshold: 0.4 };
      const overlay = await renderOverlay({ ...base, display: prepared.display, ...looks });
      assert.deepEqual(await view.renderOverlay(looks), overlay);
      assert.deepEqual(await view.overlayPng(looks), await encodePng(overlay));
      assert.deepEqual(await view.heatLayers({ threshold: 0.4 }), await heatLayers({ ...base,
        displayWidth: prepared.display.width, displayHeight: prepared.display.height }));
    }
    // An earlier map put back is the one drawn.
    const first = await computeCam(singleRun({ outputWidth: 224, outputHeight: 224 }));
    await view.setMap({ map: first.map, width: 224, height: 224 });
    assert.deepEqual(await view.renderOverlay(), await renderOverlay({ ...placement, display: prepared.display,
      map: first.map, mapWidth: 224, mapHeight: 224 }));
    await assert.rejects(view.setMap({ map: first.map, width: 224, height: 223 }), /width x height values/);
    await assert.rejects(view.computeCam({ method: 'scorecam', outputWidth: 8, outputHeight: 8 }), /needs a value per channel/);
    await assert.rejects(view.computeCam({ method: 'scorecam', outputWidth: 8, outputHeight: 8,
      channelValues: [channelMeans(0), channelMeans(0)] }), /one array per target layer/);
    await assert.rejects(view.computeCam({ method: 'gradcam', outputWidth: 8, outputHeight: 8, classIndex: 5 }), /outside the 2/);
    await assert.rejects(view.heatLayers({ into: new Uint8Array(3) }), /'into' must be a Uint8Array/);
    await assert.rejects(view.renderOverlay({ colormap: 'rainbow' }), /colormap/);
  } finally {
    view.release();
  }
  await assert.rejects(view.renderOverlay(), (e) => e.code === 'released');
  view.release();  // twice is harmless
  const fromPixels = await photoView({ display: prepared.display, ...{ tensorContent: prepared.placement.tensorContent,
    tensorToDisplay: prepared.tensorToDisplay } });
  await assert.rejects(fromPixels.overlayPng(), /no map yet/);
  fromPixels.release();
  await assert.rejects(photoView({ display: prepared.display }), /tensorContent/);
});
