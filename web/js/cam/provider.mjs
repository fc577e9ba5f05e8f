// @ts-check
// What an explanation provider is: for one kind of target in the C++ registry (camMethods()'s `target`), the
// inputs the core's computeCam needs for a photo's analysis and a class. The gradient methods share one provider
// ('class'); a perturbation method brings its own (its model runs, kept per class in the analysis).
// Providers are listed in providers.mjs, one line each.

/**
 * @typedef {{data: Float32Array, dims: number[]}} Tensor
 * @typedef {{activations: Tensor, gradients?: Tensor, channelValues?: Float32Array}} LayerOutputs
 * @typedef {{layers: LayerOutputs[]}} CamRun  a run's target layers: batch items, and K classes in the gradients;
 *   or, for a channel-valued method, batch item 0's activations and one value per channel
 * @typedef {{run?: CamRun, inputMap?: import('./input-perturbation.mjs').InputMap, flags: boolean[], slot: number,
 *   comparisons?: number[]}} CamInputs  the core's inputs (run), or, from an input-space method, its map itself;
 *   flags: per batch item, whether it is the mirror image; slot: where the explained class is among the K
 * @typedef {{model: import('../model-session.mjs').ModelSession, budgetBytes: number,
 *   classMap?: (analysis: import('../photo-analysis.mjs').PhotoAnalysis, classIndex: number, method: string) =>
 *   Promise<Float32Array>}} ProviderContext  classMap: a CAM method's map of a class at the input's size, in [0, 1]
 * @typedef {{signal?: AbortSignal, progress?: (p: {label: string, loaded: number, total: number}) => void,
 *   augSmooth?: boolean, rise?: {masks?: number, grid?: number, keep?: number, seed?: number},
 *   occlusion?: {window?: number, stride?: number}, integratedGradients?: {steps?: number, baseline?: string},
 *   smoothGrad?: {samples?: number, noise?: number, seed?: number}}} ProviderOptions  the input-space methods' options
 * @typedef {{id: string, label: string, description: string, reference: string, needsGradients: boolean,
 *   target: string, inputSpace?: boolean}} MethodInfo  a method as core.camMethods() lists one; inputSpace: its
 *   map is made from the input, at the input's resolution, with no target layer (RISE, occlusion)
 * @typedef {{target: string, method?: MethodInfo, inputs: (context: ProviderContext,
 *   analysis: import('../photo-analysis.mjs').PhotoAnalysis, classIndex: number, options: ProviderOptions) =>
 *   Promise<CamInputs>}} ExplanationProvider  `method`: an input-space method, which is not in the core's registry
 */

/** The dims of batch item 0 of a [N, ...] tensor. */
export const firstItemDims = (dims) => [1, ...dims.slice(1)];

/** Batch item 0 of a run's layer tensor. */
export function firstItem({ data, dims }) {
  return { data: data.subarray(0, data.length / dims[0]), dims: firstItemDims(dims) };
}
