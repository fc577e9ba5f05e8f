// @ts-check
// What dermcam accepts from a model and its description, checked before any work is done on them: a model or a
// model.json is data from someone else, never trusted (models/README.md, "Budgets", explains each to a person).
// A file over a budget is refused with a DermcamError naming the budget; nothing is allocated for it first.

/** Largest .onnx file: ONNX Runtime Web's 32-bit heap holds the model bytes and the session built from them. */
export const MAX_MODEL_BYTES = 512 * 2 ** 20;
/**
 * Most nodes in a graph: a ViT-L has about 3,000, an EfficientNet-B7 about 5,000. Preparing grows linearly (a
 * 100,000-node chain: 3 s), but ONNX Runtime Web's session for running the graph grows faster (100,000: 11 s here):
 * the bound keeps loading within the app's time limit on a slow phone (BENCHMARKS.md 5b).
 */
export const MAX_NODES = 120_000;
/** Largest model input tensor, in elements (3 x 2048 x 2048 float32: 48 MB). */
export const MAX_INPUT_ELEMENTS = 3 * 2048 * 2048;
/** Most classes a model may score (labels in model.json, scores out of the graph). */
export const MAX_CLASSES = 10_000;
/** Most target layers and gate layers an explain graph may have. */
export const MAX_LAYERS = 8;
export const MAX_GATE_LAYERS = 16;
/** What one input may take through the explain graph: the input and its added outputs (activations, gradients). */
export const MAX_RUN_BYTES = 256 * 2 ** 20;
/** Largest model.json (a gate for a 2048-channel layer is about 11 MB of base64) and its deepest nesting. */
export const MAX_CONFIG_BYTES = 16 * 2 ** 20;
export const MAX_CONFIG_DEPTH = 8;
/** Most values in card.metrics (numbers, short texts, nested objects: all counted). */
export const MAX_METRICS_ENTRIES = 1000;
/** Longest texts, in characters: an id, a label or name, an advice line, a model card paragraph. */
export const MAX_TEXT = { id: 64, label: 120, advice: 600, card: 4000, short: 200 };

/** Elements of a tensor of these dims; Infinity when one is not a positive integer or the product is absurd. */
export function elementCount(dims) {
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 1) return Infinity;
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return count;
}

/** The size as a person reads it: "512 MB". */
export const megabytes = (bytes) => `${Math.round(bytes / 2 ** 20)} MB`;
