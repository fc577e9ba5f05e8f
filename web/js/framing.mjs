// @ts-check
// The framing square: the patient drags (one finger or the mouse), pinches it (two fingers on the square), pulls
// a corner handle, uses the size slider or the keyboard (arrows move, + and - resize) to put the spot in the
// middle of a square; pinching the photo, the mouse wheel or the zoom buttons zoom the preview (a mole in a
// 12 MP photo is otherwise a few screen pixels). region() gives that square in the photo's own upright pixels:
// exactly that part goes to the model (wasm/preprocess.h, region).
const MIN_SIDE = 64;  // photo pixels: smaller regions fail the photo checks (too_small) anyway
const PREVIEW_SIDE = 1024;
const SOURCE_SIDE = 4096;  // the preview's zoom draws from a copy this large: sharp at the deepest zoom
const MAX_ZOOM = 8;
// The square starts at two thirds of the photo's short side, centred: visibly a square, with the dimmed
// outside showing what is left out (at 100% a square photo would show no square at all).
const START_SHARE = 2 / 3;

export class FramingSquare {
  /**
   * @param {{stage: HTMLElement, canvas: HTMLCanvasElement, box: HTMLElement, size: HTMLInputElement,
   *          onChange?: (region: number[]) => void}} elements
   */
  constructor({ stage, canvas, box, size, onChange = () => {} }) {
    this.stage = stage;
    this.canvas = canvas;
    this.box = box;
    this.size = size;
    this.onChange = onChange;
    this.photo = null;  // {width, height}: the upright photo's size
    this.square = null;  // {x, y, side} in photo pixels
    this.pointers = new Map();
    this.view = { zoom: 1, x: 0, y: 0 };  // the preview shows the photo from (x, y), 1/zoom of it each way
    this.resizing = null;  // a corner handle being pulled: {anchor: the opposite corner, in photo pixels}
    this.source = document.createElement('canvas');
    box.addEventListener('pointerdown', (event) => this.pointerDown(event));
    stage.addEventListener('wheel', (event) => {
      if (!this.photo) return;
      event.preventDefault();
      this.zoomAt(Math.exp(-event.deltaY / 300), event.clientX, event.clientY);
    }, { passive: false });
    stage.addEventListener('pointerdown', (event) => {
      if (event.target === stage || event.target === canvas) this.pointerDown(event);
    });
    stage.addEventListener('pointermove', (event) => this.pointerMove(event));
    for (const type of ['pointerup', 'pointercancel']) {
      stage.addEventListener(type, (event) => this.pointers.delete(/** @type {PointerEvent} */ (event).pointerId));
    }
    box.addEventListener('keydown', (event) => this.key(event));
    size.addEventListener('input', () => this.resizeTo(this.maxSide() * Number(size.value) / 100));
    new ResizeObserver(() => this.place()).observe(stage);
  }

  /** Shows a decoded photo (an ImageBitmap, upright) with the square on its centre (START_SHARE). */
  show(bitmap) {
    this.photo = { width: bitmap.width, height: bitmap.height };
    const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
    this.canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    this.canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const sourceScale = Math.min(1, SOURCE_SIDE / Math.max(bitmap.width, bitmap.height));
    this.source.width = Math.max(1, Math.round(bitmap.width * sourceScale));
    this.source.height = Math.max(1, Math.round(bitmap.height * sourceScale));
    this.source.getContext('2d').drawImage(bitmap, 0, 0, this.source.width, this.source.height);
    this.view = { zoom: 1, x: 0, y: 0 };
    this.draw();
    const side = Math.max(Math.min(MIN_SIDE, this.maxSide()), Math.round(this.maxSide() * START_SHARE));
    this.square = { x: (bitmap.width - side) / 2, y: (bitmap.height - side) / 2, side };
    this.place();
  }

  maxSide() {
    return Math.min(this.photo.width, this.photo.height);
  }

  /** [x, y, width, height] in whole photo pixels, inside the photo. */
  region() {
    const { x, y, side } = this.square;
    const s = Math.max(1, Math.min(Math.round(side), this.maxSide()));
    const left = Math.min(Math.max(0, Math.round(x)), this.photo.width - s);
    const top = Math.min(Math.max(0, Math.round(y)), this.photo.height - s);
    return [left, top, s, s];
  }

  // Photo pixels per CSS pixel of the preview as shown.
  scale() {
    return this.photo.width / this.view.zoom / this.canvas.getBoundingClientRect().width;
  }

  /** The photo point under a screen point. */
  toPhoto(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const k = this.scale();
    return { x: this.view.x + (clientX - rect.left) * k, y: this.view.y + (clientY - rect.top) * k };
  }

  draw() {
    const { zoom, x, y } = this.view;
    const s = this.source.width / this.photo.width;
    this.canvas.getContext('2d').drawImage(this.source, x * s, y * s, (this.photo.width / zoom) * s, (this.photo.height / zoom) * s,
      0, 0, this.canvas.width, this.canvas.height);
    this.stage.dataset.zoom = zoom.toFixed(2);
  }

  clampView() {
    const v = this.view;
    v.zoom = Math.min(MAX_ZOOM, Math.max(1, v.zoom));
    v.x = Math.min(Math.max(0, v.x), this.photo.width - this.photo.width / v.zoom);
    v.y = Math.min(Math.max(0, v.y), this.photo.height - this.photo.height / v.zoom);
  }

  /** Zooms the preview by `factor` keeping the photo point under (clientX, clientY) in place (default: the square's centre). */
  zoomAt(factor, clientX, clientY) {
    if (!this.photo) return;
    const rect = this.canvas.getBoundingClientRect();
    const k = this.scale();
    const [px, py] = clientX === undefined
      ? [this.square.x + this.square.side / 2, this.square.y + this.square.side / 2] : Object.values(this.toPhoto(clientX, clientY));
    const [sx, sy] = clientX === undefined ? [(px - this.view.x) / k, (py - this.view.y) / k] : [clientX - rect.left, clientY - rect.top];
    this.view.zoom *= factor;
    const k2 = this.photo.width / this.view.zoom / rect.width;
    this.view.x = px - sx * k2;
    this.view.y = py - sy * k2;
    this.clampView();
    this.draw();
    this.place();
  }

  clamp() {
    const s = this.square;
    s.side = Math.min(Math.max(s.side, Math.min(MIN_SIDE, this.maxSide())), this.maxSide());
    s.x = Math.min(Math.max(0, s.x), this.photo.width - s.side);
    s.y = Math.min(Math.max(0, s.y), this.photo.height - s.side);
  }

  place() {
    if (!this.photo) return;
    this.clamp();
    const k = 1 / this.scale();
    const { x, y, side } = this.square;
    Object.assign(this.box.style, { left: `${(x - this.view.x) * k}px`, top: `${(y - this.view.y) * k}px`,
      width: `${side * k}px`, height: `${side * k}px` });
    this.size.value = String(Math.round(100 * side / this.maxSide()));
    this.box.dataset.region = this.region().join(',');
    this.onChange(this.region());
  }

  resizeTo(side) {
    const centreX = this.square.x + this.square.side / 2;
    const centreY = this.square.y + this.square.side / 2;
    this.square.side = side;
    this.square.x = centreX - side / 2;
    this.square.y = centreY - side / 2;
    this.place();
  }

  pointerDown(event) {
    if (!this.photo) return;
    event.preventDefault();
    try {
      this.stage.setPointerCapture(event.pointerId);  // keep the drag when the finger leaves the square
    } catch {
      // a pointer the browser does not track (synthetic): the stage still sees its moves
    }
    const onSquare = this.box.contains(event.target);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY, onSquare });
    const corner = event.target.dataset?.corner;
    if (corner && this.pointers.size === 1) {
      const { x, y, side } = this.square;
      this.resizing = { anchor: { x: corner.includes('w') ? x + side : x, y: corner.startsWith('n') ? y + side : y } };
    } else {
      this.resizing = null;
    }
    if (!onSquare && this.pointers.size === 1) {
      // A tap beside the square moves its centre there.
      const p = this.toPhoto(event.clientX, event.clientY);
      this.square.x = p.x - this.square.side / 2;
      this.square.y = p.y - this.square.side / 2;
      this.place();
    }
  }

  pointerMove(event) {
    const previous = this.pointers.get(event.pointerId);
    if (!previous) return;
    event.preventDefault();
    const k = this.scale();
    const moved = { ...previous, x: event.clientX, y: event.clientY };
    if (this.pointers.size === 1 && this.resizing) {
      // A corner handle: the opposite corner stays, the square follows the pointer.
      const p = this.toPhoto(event.clientX, event.clientY);
      const { anchor } = this.resizing;
      const side = Math.max(Math.abs(p.x - anchor.x), Math.abs(p.y - anchor.y));
      Object.assign(this.square, { side, x: p.x < anchor.x ? anchor.x - side : anchor.x, y: p.y < anchor.y ? anchor.y - side : anchor.y });
    } else if (this.pointers.size === 1) {
      this.square.x += (event.clientX - previous.x) * k;
      this.square.y += (event.clientY - previous.y) * k;
    } else {
      // Pinch: on the square it grows with the distance between the two fingers; on the photo, the photo zooms.
      const other = [...this.pointers.entries()].find(([id]) => id !== event.pointerId)[1];
      const before = Math.hypot(previous.x - other.x, previous.y - other.y);
      const after = Math.hypot(event.clientX - other.x, event.clientY - other.y);
      if (before > 0) {
        this.pointers.set(event.pointerId, moved);
        if (previous.onSquare && other.onSquare) this.resizeTo(this.square.side * after / before);
        else this.zoomAt(after / before, (event.clientX + other.x) / 2, (event.clientY + other.y) / 2);
        return;
      }
    }
    this.pointers.set(event.pointerId, moved);
    this.place();
  }

  key(event) {
    const step = this.square.side / 10;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      this.square.x += moves[event.key][0];
      this.square.y += moves[event.key][1];
      this.place();
    } else if (event.key === '+' || event.key === '=') {
      this.resizeTo(this.square.side * 1.1);
    } else if (event.key === '-') {
      this.resizeTo(this.square.side / 1.1);
    } else {
      return;
    }
    event.preventDefault();
  }
}
