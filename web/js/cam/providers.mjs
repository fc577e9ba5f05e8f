// @ts-check
// The explanation providers by target id: a method whose inputs are not the class's own gradients brings a
// provider file and one line here. The CAM methods' targets come from the C++ registry (core.camMethods()'s
// `target`); an input-space method (RISE, occlusion, the pixel-level methods) makes its map itself and describes
// itself (`method`).
import { ablationCam } from './ablation-cam.mjs';
import { classGradients } from './class-gradients.mjs';
import { finerCam } from './finer-cam.mjs';
import { gradientXInput } from './gradient-x-input.mjs';
import { guidedBackprop } from './guided-backprop.mjs';
import { guidedGradCam } from './guided-grad-cam.mjs';
import { integratedGradients } from './integrated-gradients.mjs';
import { occlusion } from './occlusion.mjs';
import { rise } from './rise.mjs';
import { saliency } from './saliency.mjs';
import { scoreCam } from './score-cam.mjs';
import { smoothGrad } from './smoothgrad.mjs';

/** @type {Map<string, import('./provider.mjs').ExplanationProvider>} */
export const PROVIDERS = new Map([classGradients, finerCam, scoreCam, ablationCam, rise, occlusion, saliency, gradientXInput,
  integratedGradients, smoothGrad, guidedBackprop, guidedGradCam].map((p) => [p.target, p]));

/** The methods that are not in the core's registry, listed after its own. */
export const INPUT_METHODS = [...PROVIDERS.values()].flatMap((p) => (p.method ? [p.method] : []));
