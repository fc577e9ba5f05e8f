// @ts-check
// The explanation providers by the C++ registry's target id (core.camMethods()'s `target`): a method whose
// inputs are not the class's own gradients brings a provider file and one line here.
import { ablationCam } from './ablation-cam.mjs';
import { classGradients } from './class-gradients.mjs';
import { finerCam } from './finer-cam.mjs';
import { scoreCam } from './score-cam.mjs';

/** @type {Map<string, import('./provider.mjs').ExplanationProvider>} */
export const PROVIDERS = new Map([classGradients, finerCam, scoreCam, ablationCam].map((p) => [p.target, p]));
