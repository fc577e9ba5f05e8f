// The quality thresholds fitted from what degradations do to a model (scripts/quality-fit.mjs): the fitting on a
// synthetic model whose accuracy falls at a known blur, and the degradations on the demo model through the pipeline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';

import * as core from '../../web/js/core.mjs';
import { QUALITY_RANGES } from '../../web/js/gate.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { DEGRADATIONS, curvesSvg, fitQualityThresholds, measureDegradations, qualityReport } from '../../scripts/quality-fit.mjs';

const ROOT = join(import.meta.dirname, '../..');
const blur = DEGRADATIONS.find((d) => d.id === 'blur');
const darker = DEGRADATIONS.find((d) => d.id === 'darker');

// A synthetic model: right on every photo up to blur sigma `breaks` (model input px), wrong on 3 photos in 4 from
// there; the gate's sharpness falls as 0.1 / (1 + sigma), give or take a per-photo 2%.
function blurRows({ breaks, photos = 40, mapCorrelation = () => 0.95 }) {
  const rows = [];
  for (let p = 0; p < photos; p++) {
    const jitter = 1 + 0.02 * Math.sin(p * 12.9898);
    const sharpness = (sigma) => (0.1 / (1 + sigma)) * jitter;
    rows.push({ photo: `p${p}`, skinType: String(1 + (p % 6)), degradation: 'clean', strength: 0, correct: true,
      confidence: 0.95, mapCorrelation: 1, pointing: null, codes: [], measures: { sharpness: sharpness(0) } });
    for (const sigma of blur.strengths) {
      const correct = sigma < breaks || p % 4 === 0;
      rows.push({ photo: `p${p}`, skinType: String(1 + (p % 6)), degradation: 'blur', strength: sigma, correct,
        confidence: correct ? 0.9 : 0.6, mapCorrelation: mapCorrelation(sigma), pointing: null, codes: [], measure: sharpness(sigma) });
    }
  }
  return rows;
}

test('a model whose accuracy falls at blur sigma 2 gets its sharpness threshold between sigma 1.5 and 2', () => {
  const { quality, fits, curves } = fitQualityThresholds(blurRows({ breaks: 2 }), { degradations: [blur] });
  const [fit] = fits;
  assert.equal(fit.onset, 2);
  // Between the sharpness of sigma 2 (0.0333, give or take 2%) and of sigma 1.5 (0.04): it accepts 1.5, refuses 2.
  assert.ok(fit.value > 0.034 && fit.value < 0.0392, String(fit.value));
  assert.equal(quality.minSharpness, fit.value);
  assert.equal(fit.acceptedBelow, 1);
  assert.equal(fit.refusedBeyond, 1);
  assert.equal(fit.limitedBy, null);
  assert.equal(curves.degradations[0].points.find((p) => p.strength === 2).accuracy, 0.25);
  // Moved to sigma 3, the threshold follows the model.
  const later = fitQualityThresholds(blurRows({ breaks: 3 }), { degradations: [blur] }).fits[0];
  assert.equal(later.onset, 3);
  assert.ok(later.value > 0.0255 && later.value < 0.0327, String(later.value));
});

test('a map that moves ends reliability as a wrong answer does', () => {
  const rows = blurRows({ breaks: Infinity, mapCorrelation: (sigma) => (sigma >= 1.5 ? 0.5 : 0.97) });
  assert.equal(fitQualityThresholds(rows, { degradations: [blur] }).fits[0].onset, 1.5);
});

test('no onset keeps the default; a model more tolerant than the default gets the default', () => {
  const robust = fitQualityThresholds(blurRows({ breaks: Infinity }), { degradations: [blur] });
  assert.equal(robust.fits[0].onset, null);
  assert.equal(robust.fits[0].value, QUALITY_RANGES.minSharpness.default);
  assert.deepEqual(robust.quality, {});
  // Breaking only at sigma 4 (sharpness 0.02 - 0.024) would allow photos blurrier than the default lets through.
  const tolerant = fitQualityThresholds(blurRows({ breaks: 4 }).map((r) => (r.measure !== undefined ? { ...r, measure: r.measure / 2 } : r)),
    { degradations: [blur] }).fits[0];
  assert.equal(tolerant.onset, 4);
  assert.ok(tolerant.model < QUALITY_RANGES.minSharpness.default);
  assert.equal(tolerant.value, QUALITY_RANGES.minSharpness.default);
  assert.equal(tolerant.limitedBy, 'default');
});

test('a threshold that would refuse clean photos of dark skin is moved until it keeps them', () => {
  // The model fails from exposure x0.5; a clean type VI photo is dimmer than a fair one at x0.5.
  const rows = [];
  for (let p = 0; p < 60; p++) {
    const type = 1 + (p % 6);
    const level = type < 6 ? 0.9 - 0.05 * type : 0.2;  // 0.85 for type I down to 0.65 for type V; 0.2 for type VI
    rows.push({ photo: `p${p}`, skinType: String(type), degradation: 'clean', strength: 0, correct: true, confidence: 0.9,
      mapCorrelation: 1, pointing: null, codes: [], measures: { brightLevel: level } });
    for (const s of darker.strengths) {
      rows.push({ photo: `p${p}`, skinType: String(type), degradation: 'darker', strength: s, correct: s > 0.5, confidence: 0.8,
        mapCorrelation: 0.9, pointing: null, codes: [], measure: level * s });
    }
  }
  const [fit] = fitQualityThresholds(rows, { degradations: [darker] }).fits;
  assert.equal(fit.onset, 0.5);
  assert.ok(fit.model > 0.2, `the model's own threshold ${fit.model} refuses type VI`);
  // Type VI at exposure x0.7 (0.14), which the model still reads, is kept too: 97% of each type's readable photos.
  assert.ok(fit.value <= 0.14, String(fit.value));
  assert.equal(fit.cleanAccepted, 1);
  assert.equal(fit.acceptedBelow, 1);
  assert.match(fit.limitedBy, /clean photos|a skin type/);
});

test('a threshold set by the clean photos is kept past their extreme by the spread of their last percent', () => {
  // The model fails from the first fade; clean photos' dark levels spread evenly up to 0.597, so the model's own
  // threshold would refuse clean photos and the clean ones limit it. Unseen photos reach past the sample's extreme.
  const washedout = DEGRADATIONS.find((d) => d.id === 'washedout');
  const rows = [];
  for (let p = 0; p < 200; p++) {
    const type = String(1 + (p % 6));
    const level = (p / 200) * 0.6;
    rows.push({ photo: `p${p}`, skinType: type, degradation: 'clean', strength: 0, correct: true, confidence: 0.9,
      mapCorrelation: 1, pointing: null, codes: [], measures: { darkLevel: level } });
    for (const s of washedout.strengths) {
      rows.push({ photo: `p${p}`, skinType: type, degradation: 'washedout', strength: s, correct: false, confidence: 0.5,
        mapCorrelation: 0.5, pointing: null, codes: [], measure: s + (1 - s) * level });
    }
  }
  const [fit] = fitQualityThresholds(rows, { degradations: [washedout] }).fits;
  assert.equal(fit.onset, 0.1);
  assert.ok(fit.model < 0.597, String(fit.model));
  // Past 0.597 by at least the whole set's last-percent spread (0.597 - 0.588) and at most to the default.
  assert.ok(fit.value >= 0.606 && fit.value < QUALITY_RANGES.maxDarkLevel.default, String(fit.value));
  assert.match(fit.limitedBy, /clean photos|a skin type/);
  assert.equal(fit.cleanAccepted, 1);
});

test('the fade at which a model stops reading photos becomes the level past which a refused photo is told it is washed out', () => {
  const washedout = DEGRADATIONS.find((d) => d.id === 'washedout');
  const rows = [];
  for (let p = 0; p < 60; p++) {
    const level = 0.05 + (p % 10) * 0.01;
    rows.push({ photo: `p${p}`, skinType: String(1 + (p % 6)), degradation: 'clean', strength: 0, correct: true, confidence: 0.9,
      mapCorrelation: 1, pointing: null, codes: [], measures: { darkLevel: level } });
    for (const s of washedout.strengths) {
      rows.push({ photo: `p${p}`, skinType: String(1 + (p % 6)), degradation: 'washedout', strength: s, correct: s < 0.4,
        confidence: 0.8, mapCorrelation: 0.9, pointing: null, codes: [], measure: s + (1 - s) * level });
    }
  }
  const { quality, fits } = fitQualityThresholds(rows, { degradations: [washedout] });
  assert.equal(fits[0].onset, 0.4);
  assert.deepEqual(fits[0].likely, { threshold: 'fadedDarkLevel', value: 0.4 });
  assert.equal(quality.fadedDarkLevel, 0.4);
  // A model that reads every fade tried keeps the core's default.
  const robust = fitQualityThresholds(rows.map((r) => ({ ...r, correct: true })), { degradations: [washedout] });
  assert.equal(robust.fits[0].likely, undefined);
  assert.equal(robust.quality.fadedDarkLevel, undefined);
});

test('the degradations run through the pipeline: blur lowers sharpness, glare whitens the spot, fewer pixels shrink the photo', async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  const explainer = new Explainer({ ort, core });
  await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(ROOT, 'models/demo', config.model))), config });
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/images/lesion.jpg')));
  const label = explainer.config.labels.findIndex((l) => l.id === 'melanoma');
  const chosen = DEGRADATIONS.filter((d) => ['blur', 'glare', 'smaller', 'noise', 'jpeg'].includes(d.id))
    .map((d) => ({ ...d, strengths: [d.strengths[0], d.strengths.at(-1)] }));
  const rows = await measureDegradations(explainer, core, [{ name: 'lesion.jpg', label, bytes }], { degradations: chosen });
  await explainer.release();
  const at = (id, strength) => rows.find((r) => r.degradation === id && r.strength === strength);
  assert.equal(rows.length, 1 + 2 * chosen.length);
  const clean = rows[0];
  assert.equal(clean.degradation, 'clean');
  assert.ok(clean.measures.sharpness > at('blur', 4).measure * 3, JSON.stringify([clean.measures, at('blur', 4).measure]));
  assert.equal(clean.measures.spotHighlights, 0);
  assert.ok(at('glare', 0.08).measure > 0.1, String(at('glare', 0.08).measure));
  assert.deepEqual(at('glare', 0.08).codes.slice(0, 1), ['glare']);
  assert.equal(at('smaller', 0.125).measure, 16);
  assert.deepEqual(at('smaller', 0.125).codes.slice(0, 1), ['too_small']);
  assert.ok(at('noise', 50).measure > at('noise', 3).measure * 4);
  // JPEG at quality 4 is blocks of 8 x 8 pixels: the photo the model reads moves away from the clean one.
  assert.ok(at('jpeg', 4).mapCorrelation < at('jpeg', 80).mapCorrelation, JSON.stringify([at('jpeg', 4), at('jpeg', 80)].map((r) => r.mapCorrelation)));
  assert.ok(rows.every((r) => r.mapCorrelation <= 1 + 1e-9 && typeof r.correct === 'boolean'));
  // The report's figure and table are written from the rows.
  const fit = fitQualityThresholds(rows, { degradations: chosen });
  assert.match(curvesSvg(fit), /^<svg[^]*<polyline[^]*<\/svg>/);
  const text = qualityReport({ photos: 1, ...fit }, { figure: 'quality-curves.svg' });
  assert.match(text, /## Photo quality the model can read/);
  assert.match(text, /\| blur \| minSharpness \(blurry\) \|/);
  assert.match(text, /\| jpeg \| none \|/);
  assert.equal(fit.fits.find((f) => f.degradation === 'jpeg').limitedBy, 'no gate measure');
});
