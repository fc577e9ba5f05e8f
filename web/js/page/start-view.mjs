// @ts-check
// The start card: choose a photo, take one with the camera, or drop one on the zone. A chosen file goes to the
// actions (framing, or the core's verdict on a file the browser cannot show); the inputs are emptied so the same
// photo can be chosen again.

/** @param {import('./store.mjs').ViewContext} view */
export function startView({ $, actions }) {
  $('pick-photo').addEventListener('click', () => actions.openPicker('photo-input'));
  $('take-photo').addEventListener('click', () => actions.openPicker('camera-input'));
  for (const id of ['photo-input', 'camera-input']) {
    const input = $(id);
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';
      actions.choose(file);
    });
  }
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    actions.choose(event.dataTransfer?.files?.[0]);
  });
}
