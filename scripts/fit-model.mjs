// Fits what model.json says about a model's answers from photos: the gate's out-of-distribution check (and,
// with negatives, its discriminator), the temperature that calibrates the probabilities and the prediction sets.
// Shared by `dermcam fit-gate` (a whole folder) and `dermcam pack` (its fitting split).
import { relative, sep } from 'node:path';

import { DermcamError } from '../web/js/errors.mjs';
import * as calibration from '../web/js/calibration.mjs';
import * as conformal from '../web/js/conformal.mjs';
import * as gateTools from '../web/js/gate.mjs';
import { validateModelConfig } from '../web/js/model-config.mjs';
import { hashOf, loadWebOrt, readInput } from './cli-files.mjs';
import * as gateFit from './gate-fit.mjs';

/**
 * @param {{raw: object, model: {onnxBytes: Uint8Array, config?: object, configName?: string}, photos: {path: string,
 *   label?: number}[], base: string, negatives?: {path: string}[] | null, negativesFolder?: string,
 *   acceptance: number, coverage: number, fitQuality?: {masks?: Map<string, string>, skinTypes?: Map<string, string>,
 *   maxPhotos?: number} | null}} options  raw: the model.json as read; photos: in-distribution photos (label: the
 *   index of their subfolder's label id, if any); base: the folder their paths are relative to; fitQuality: also fit
 *   the gate's quality thresholds from what degradations do to the model (quality-fit.mjs) on up to maxPhotos (60)
 *   labelled photos, with lesion masks by photo path and skin types by relative path where known; qualityOnly (with
 *   fitQuality): the config keeps raw's out-of-distribution check, discriminator, calibration and prediction sets,
 *   and only its quality thresholds are new
 * @returns {Promise<{config: object, summary: object, ood: object, known: number[], logitScores: boolean}>} config:
 *   raw with the fitted parts
 */
export async function fitDescription({ raw, model, photos, base, negatives = null, negativesFolder = '', acceptance, coverage,
  fitQuality = null, qualityOnly = false }) {
  if (qualityOnly && !fitQuality) throw new DermcamError('invalid_argument', 'Refitting the quality thresholds alone needs fitQuality.');
  const [{ Explainer }, core, ort] = await Promise.all([import('../web/js/pipeline.mjs'), import('../web/js/core.mjs'),
    loadWebOrt()]);
  validateModelConfig(raw, { gate: false });  // what is wrong with the description, before anything is fitted
  // Fitting must not depend on an earlier fit: the features and logits are the model's own.
  const { outOfDistribution: _old, discriminator: _oldDiscriminator, ...gateRest } = raw.gate ?? {};
  // A refit without --fit-quality keeps the fitted quality thresholds and where they came from.
  const working = { ...raw, gate: { schema: gateTools.GATE_SCHEMA, ...gateRest }, calibration: undefined, predictionSets: undefined };
  const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } });
  try {
    await explainer.load({ ...model, config: working });
  } catch (error) {
    throw error instanceof DermcamError ? error : new DermcamError('model_load_failed', String(error?.message ?? error));
  }
  const labels = explainer.config.labels;
  if (!photos.length) throw new DermcamError('read_failed', `${base} holds no photos.`);
  const samples = [];
  const logits = [];
  const probabilities = [];
  const known = [];
  const knownPaths = [];
  let skipped = 0;
  const skippedPaths = [];
  // Each readable photo's features and scores; one that cannot be read or decoded is skipped and counted.
  async function* inspectAll(list) {
    for (const photo of list) {
      try {
        yield [photo, await explainer.inspect(await readInput(photo.path, 'the photo'))];
      } catch (error) {
        console.error(`dermcam: skipping ${photo.path}: ${error.message}`);
        skipped += 1;
        skippedPaths.push(photo.path);
      }
    }
  }
  const cleanPhotos = [];  // every photo's quality measures: what the fitted quality thresholds must keep
  for await (const [photo, inspected] of inspectAll(photos)) {
    if (fitQuality) {
      const q = inspected.quality;
      cleanPhotos.push({ measures: { ...q, photoSide: Math.min(q.photoWidth, q.photoHeight) }, skinType: fitQuality.skinTypes?.get(relative(base, photo.path).split(sep).join('/')) ?? null });
    }
    const predicted = inspected.probabilities.indexOf(Math.max(...inspected.probabilities));
    samples.push({ features: inspected.features, discriminatorFeatures: inspected.discriminatorFeatures,
      classIndex: photo.label ?? predicted });
    if (photo.label !== undefined) {
      logits.push(inspected.scores);
      probabilities.push(inspected.probabilities);
      known.push(photo.label);
      knownPaths.push(relative(base, photo.path));
    }
  }
  const layer = explainer.metadata.layers[0].name;
  // With a discriminator the two checks share the refusal budget: each accepts 1 - (1 - acceptance) / 2 of the
  // held-out photos, so together they refuse at most 1 - acceptance of them.
  const perCheck = negatives ? 1 - (1 - acceptance) / 2 : acceptance;
  const ood = gateFit.fitOutOfDistribution(samples, { layer, labels, acceptance: perCheck });
  const out = { ...raw, gate: { schema: gateTools.GATE_SCHEMA, ...gateRest, outOfDistribution: ood } };
  if (negatives) {
    const negativePhotos = negatives;
    if (!negativePhotos.length) throw new DermcamError('read_failed', `${negativesFolder} holds no photos.`);
    const negativeFeatures = [];
    for await (const [, inspected] of inspectAll(negativePhotos)) {
      // The quality checks refuse these anyway: the discriminator learns from what gets past them.
      if (inspected.quality?.issues?.length) continue;
      negativeFeatures.push(inspected.discriminatorFeatures);
    }
    out.gate.discriminator = gateFit.fitDiscriminator(samples.map((s) => s.discriminatorFeatures), negativeFeatures,
      { layers: explainer.gateLayers(), acceptance: perCheck });
  } else if (raw.gate?.discriminator && !qualityOnly) {
    console.error('dermcam: the gate\'s discriminator was fitted for the old statistics and is removed: pass --negatives ' +
      'to fit it again.');
  }
  let temperature = null;
  const logitScores = explainer.metadata.score.kind === 'logit' && !explainer.metadata.score.seededBefore;
  // The temperature and the prediction sets are fitted on disjoint halves of the labelled photos (a set's
  // coverage holds only for photos its floor was not fitted with, and the temperature shapes the probabilities it
  // reads); the halves are chosen by a hash of each photo's path, so every class is in both and a rerun agrees.
  const order = known.map((_, i) => i).sort((a, b) => hashOf(knownPaths[a]).localeCompare(hashOf(knownPaths[b])));
  const splitForSets = logitScores ? known.length >= 40 : known.length >= 20;
  const half = logitScores && splitForSets ? Math.ceil(order.length / 2) : logitScores ? order.length : 0;
  const [forTemperature, forSets] = [order.slice(0, half), splitForSets ? order.slice(half) : []];
  const pick = (rows, indices) => indices.map((i) => rows[i]);
  if (forTemperature.length >= 20) {
    const [rows, labelsOf] = [pick(logits, forTemperature), pick(known, forTemperature)];
    temperature = calibration.fitTemperature(rows, labelsOf);
    const before = calibration.calibrationError(rows.map((row) => calibration.softmax(row)), labelsOf).ece;
    const after = calibration.calibrationError(rows.map((row) => calibration.softmax(row, temperature)), labelsOf).ece;
    out.calibration = { temperature: Number(temperature.toPrecision(5)),
      fittedOn: { photos: rows.length, eceBefore: Number(before.toFixed(5)), eceAfter: Number(after.toFixed(5)) } };
  }
  delete out.predictionSets;  // fitted for the old temperature, if any
  if (forSets.length >= Math.max(20, conformal.minimumPhotos(coverage))) {
    const calibrated = logitScores ? pick(logits, forSets).map((row) => calibration.softmax(row, out.calibration?.temperature ?? 1))
      : pick(probabilities, forSets);
    const fit = conformal.fitPredictionSets(calibrated, pick(known, forSets), coverage);
    out.predictionSets = { method: 'lac', coverage, minProbability: Number(fit.minProbability.toFixed(6)),
      fittedOn: { photos: fit.photos } };
  }
  let quality = null;
  if (fitQuality) {
    const readable = photos.filter((p) => p.label !== undefined && !skippedPaths.includes(p.path));
    quality = await fitQualityFromPhotos(explainer, readable, base, fitQuality, cleanPhotos);
    // The thresholds the fit decided replace the earlier ones (one it left at the default is removed); the others stay.
    const earlier = { ...(out.gate.quality ?? {}) };
    for (const key of quality.decided) delete earlier[key];
    out.gate.quality = { ...earlier, ...quality.quality };
    out.gate.qualityFittedOn = { photos: quality.photos, criterion: quality.criterion,
      degradations: quality.fits.map((f) => ({ id: f.degradation, threshold: f.threshold, onset: f.onset, model: f.model,
        value: f.value, limitedBy: f.limitedBy })) };
  }
  await explainer.release();
  if (qualityOnly) {
    const kept = { ...raw, gate: { ...raw.gate, schema: gateTools.GATE_SCHEMA, quality: out.gate.quality,
      qualityFittedOn: out.gate.qualityFittedOn } };
    const summary = { qualityOnly: true, photos: samples.length, skipped, skippedPaths, labelled: known.length,
      quality: { photos: quality.photos, fits: quality.fits, curves: quality.curves } };
    return { config: kept, summary, ood: null, known, logitScores: false };
  }
  const summary = { photos: samples.length, skipped, skippedPaths, labelled: known.length, layer, dims: ood.dims,
    classes: ood.classes, threshold: ood.threshold, acceptance, temperature: out.calibration?.temperature ?? null,
    predictionSets: out.predictionSets ?? null,
    discriminator: out.gate.discriminator ? { layers: out.gate.discriminator.layers, dims: out.gate.discriminator.dims,
      threshold: out.gate.discriminator.threshold, ...out.gate.discriminator.fittedOn } : null,
    quality: quality ? { photos: quality.photos, fits: quality.fits, curves: quality.curves } : null };
  return { config: out, summary, ood, known, logitScores };
}

// The quality thresholds from labelled photos, spread over the classes (by a hash of their path, so a rerun agrees).
async function fitQualityFromPhotos(explainer, labelled, base, { masks = null, skinTypes = null, maxPhotos = 60 }, cleanPhotos) {
  const { RELIABILITY, lesionMask, measureDegradations, fitQualityThresholds } = await import('./quality-fit.mjs');
  const core = explainer.core;
  if (labelled.length < 20) {
    throw new DermcamError('too_few_photos', `Fitting the quality thresholds needs at least 20 labelled photos (found ${labelled.length}).`);
  }
  const chosen = [...labelled].sort((a, b) => hashOf(relative(base, a.path)).localeCompare(hashOf(relative(base, b.path))))
    .slice(0, maxPhotos);
  const photos = [];
  for (const photo of chosen) {
    const maskPath = masks?.get(photo.path);
    photos.push({ name: relative(base, photo.path), label: photo.label, bytes: await readInput(photo.path, 'the photo'),
      skinType: skinTypes?.get(relative(base, photo.path).split(sep).join('/')) ?? null,
      mask: maskPath ? await lesionMask(core, explainer.config, await readInput(maskPath, 'the mask')) : null });
  }
  const rows = await measureDegradations(explainer, core, photos,
    { progress: (i, n) => { if (i % 10 === 0 && i < n) console.error(`dermcam: degrading photos for the quality fit: ${i} of ${n}`); } });
  return { photos: photos.length, criterion: { ...RELIABILITY }, ...fitQualityThresholds(rows, { cleanPhotos }) };
}
