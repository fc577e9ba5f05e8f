// Fuzz harness: bytes as a model.json, parsed and validated as the app and the CLI do (parseModelJson, then
// validateModelConfig with its gate). A refusal is a DermcamError; any other exception, a hang or running out of
// memory is a finding (scripts/fuzz-js.mjs).
import { parseModelJson, validateModelConfig } from '../../web/js/model-config.mjs';
import { mutateJson } from './json-mutator.mjs';

export const maxLength = 256 * 1024;

export const dictionary = [
  '{', '}', '[', ']', ',', ':', '"', 'null', 'true', 'false', '0', '-1', '1e999', '-0', '1.5', '""', '[]', '{}',
  '\\u202e', '\\u0000', '\uFEFF', '"schema"', '"dermcam-model/1"', '"labels"', '"input"', '"layout"', '"NCHW"', '"NHWC"',
  '"mean"', '"std"', '"width"', '"height"', '"explain"', '"layer"', '"tokens"', '"card"', '"metrics"', '"gate"',
  '"calibration"', '"temperature"', '"lowConfidence"', '"advice"', '"en"', '"vi"', '"dims"', '"covariance"',
  '"means"', '"threshold"', '"outOfDistribution"', '"discriminator"', '"weights"',
].map((text) => [...new TextEncoder().encode(text)]);

export function run(bytes) {
  validateModelConfig(parseModelJson(bytes));
}

export function mutate(bytes, random) {
  const text = mutateJson(new TextDecoder().decode(bytes), random);
  return text === null ? null : new TextEncoder().encode(text);
}
