// Prepended to the generated ES module (--extern-pre-js). Emscripten 3.1.6's loader reads __dirname at
// start-up when it runs in Node, and ES modules have none; derive it from the module's own URL.
// eslint-disable-next-line no-unused-vars -- read by the loader this is prepended to
var __dirname = typeof process == 'object' && typeof process.versions == 'object' && process.versions.node
  ? decodeURIComponent(new URL('.', import.meta.url).pathname) : '';
