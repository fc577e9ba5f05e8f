// Minimal page: decode and preprocess a photo with the wasm core and show the upright display copy.
// (The full app with the model, worker and explanations replaces this.)
import { prepareImage } from './core.mjs';

const input = document.querySelector('[data-testid="photo-input"]');
const status = document.querySelector('[data-testid="status"]');
const errorBox = document.querySelector('[data-testid="error"]');
const figure = document.querySelector('figure');
const canvas = document.querySelector('[data-testid="display"]');
const info = document.querySelector('[data-testid="photo-info"]');

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  figure.hidden = true;
  status.textContent = '';
}

async function analyse(file) {
  errorBox.hidden = true;
  status.textContent = 'Reading the photo…';
  try {
    const started = performance.now();
    const result = await prepareImage(new Uint8Array(await file.arrayBuffer()));
    const elapsed = performance.now() - started;
    const { display, photo, tensor } = result;
    canvas.width = display.width;
    canvas.height = display.height;
    canvas.getContext('2d').putImageData(new ImageData(display.rgba, display.width, display.height), 0, 0);
    info.textContent = `${photo.format}, ${photo.width} × ${photo.height} px` +
      (photo.exifOrientation !== 1 ? ` (turned upright from EXIF orientation ${photo.exifOrientation})` : '') +
      `; model input ${tensor.shape.join(' × ')} prepared in ${elapsed.toFixed(0)} ms.`;
    canvas.dataset.width = String(photo.width);
    canvas.dataset.height = String(photo.height);
    figure.hidden = false;
    status.textContent = 'Photo ready.';
  } catch (error) {
    showError(error?.message ?? String(error));
  }
}

input.addEventListener('change', () => {
  const file = input.files?.[0];
  if (file) analyse(file);
  input.value = '';
});
