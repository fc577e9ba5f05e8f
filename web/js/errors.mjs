// @ts-check
// One error type for all of dermcam, from the C++ core to the page: a stable `code` (what went wrong, for
// programs and tests), `params` (the values a sentence about it needs, e.g. {pixels, limit}) and `message`
// (a sentence for developers, in English: the CLI prints it, the page folds it under "Technical details").
// What a person reads is never `message`: personSentence() picks the catalogue sentence (web/js/i18n.mjs)
// for the code and fills it from params. The error crosses the worker boundary as toJSON() and comes back
// as the same class (DermcamError.from).
export class DermcamError extends Error {
  constructor(code, message = code, params = {}) {
    super(message);
    this.name = 'DermcamError';
    this.code = code;
    this.params = params;
  }

  toJSON() {
    return { code: this.code, message: this.message, params: this.params };
  }

  /** Anything thrown (a DermcamError, its JSON, the core's returned Error, a bug) as a DermcamError. */
  static from(thrown) {
    if (thrown instanceof DermcamError) return thrown;
    if (thrown && typeof thrown === 'object' && typeof thrown.code === 'string' && thrown.code) {
      return new DermcamError(thrown.code, String(thrown.message ?? thrown.code), thrown.params ?? {});
    }
    return new DermcamError('internal', String(thrown?.message ?? thrown));
  }
}

// The catalogue sentence for each code a person can meet with a sentence of its own; every other code gets
// the sentence of where it happened (loading a model, analysing a photo) with the code under it.
export const PERSON_SENTENCES = {
  unrecognized_format: 'errorNotImage',
  unsupported_format: 'errorUnsupported',
  corrupt_image: 'errorCorrupt',
  image_too_large: 'errorTooLarge',
  empty_input: 'errorEmpty',
  region_outside_photo: 'errorRegion',
  download_failed: 'errorDownload',
  bad_model_config: 'errorModelConfig',
  out_of_memory: 'errorMemory',
  worker_failed: 'errorEngineStopped',
  head_not_separable: 'errorHeadNotSeparable',
  invalid_output: 'errorInvalidOutput',
  bad_metadata: 'errorBadMetadata',
  model_too_large: 'errorModelTooLarge',
  load_stopped: 'errorLoadStopped',
  load_timeout: 'errorLoadTimeout',
  // ONNX Runtime's own text is for developers (under "Technical details"): the person reads which model failed.
  inference_failed: 'errorInference',
  model_load_failed: 'errorModelLoadFailed',
};

// Codes about the photo itself: the person can fix them by choosing another photo; no technical details.
export const PHOTO_CODES = new Set(['unrecognized_format', 'unsupported_format', 'corrupt_image', 'image_too_large',
  'empty_input', 'region_outside_photo']);

/**
 * The catalogue key and values of the sentence a person reads for `error` ({code, params}); `context` is the
 * key for errors without a sentence of their own ('errorModel' while loading a model, else 'errorGeneric');
 * `model`: the name of the model in use, for the sentences that name it.
 */
export function personSentence(error, context = 'errorGeneric', { model = '' } = {}) {
  const key = PERSON_SENTENCES[error?.code] ?? context;
  const params = error?.params ?? {};
  if (key === 'errorTooLarge' && params.pixels > 0 && params.limit > 0) {
    return { key: 'errorTooLargeSized', values: { megapixels: Math.ceil(params.pixels / 1e6), limit: Math.floor(params.limit / 1e6) } };
  }
  if (key === 'errorUnsupported' && typeof params.format === 'string') {
    return { key: 'errorUnsupportedNamed', values: { format: params.format } };
  }
  if (key === 'errorInference') return { key, values: { model } };
  return { key, values: {} };
}

/**
 * The one action that fixes `error` where the person meets it (the error box carries it as a button):
 * 'retry' a download, go back to the 'bundledModel' after one's own model failed, or 'choosePhoto'.
 * @param {{code?: string}} error @param {string} [context] as for personSentence
 * @param {{ownModel?: boolean}} [situation] whether the failure was loading a model the person brought
 * @returns {'retry'|'bundledModel'|'choosePhoto'}
 */
export function fixFor(error, context, { ownModel = false } = {}) {
  if (error?.code === 'download_failed') return 'retry';
  if (context === 'errorModel') return ownModel ? 'bundledModel' : 'retry';
  return 'choosePhoto';
}
