// The framing square: the patient drags (one finger or the mouse), pinches (two fingers), uses the size slider
// or the keyboard (arrows move, + and - resize) to put the spot in the middle of a square. region() gives that
// square in the photo's own upright pixels: exactly that part goes to the model (wasm/preprocess.h, region).
const MIN_SIDE = 64;  // photo pixels: smaller regions fail the photo checks (too_small) anyway
const PREVIEW_SIDE = 1024;
// The square starts at two thirds of the photo's short side, centred: visibly a square, with the dimmed
// outside showing what is left out (at 100% a square photo would show no square at all).
const START_SHARE = 2 / 3;

export class FramingSquare {
  /** @param {{stage: HTMLElement, canvas: HTMLCanvasElement, box: HTMLElement, size: HTMLInputElement}} elements */
  constructor({ stage, canvas, box, size, onChange = () => {} }) {
    Object.assign(this, { stage, canvas, box, size, onChange });
    this.photo = null;  // {width, height}: the upright photo's size
    this.square = null;  // {x, y, side} in photo pixels
    this.pointers = new Map();
    box.addEventListener('pointerdown', (event) => this.pointerDown(event));
    stage.addEventListener('pointerdown', (event) => {
      if (event.target === stage || event.target === canvas) this.pointerDown(event);
    });
    stage.addEventListener('pointermove', (event) => this.pointerMove(event));
    for (const type of ['pointerup', 'pointercancel']) stage.addEventListener(type, (event) => this.pointers.delete(event.pointerId));
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
    this.canvas.getContext('2d').drawImage(bitmap, 0, 0, this.canvas.width, this.canvas.height);
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
    return this.photo.width / this.canvas.getBoundingClientRect().width;
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
    Object.assign(this.box.style, { left: `${x * k}px`, top: `${y * k}px`, width: `${side * k}px`, height: `${side * k}px` });
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
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (event.target !== this.box && this.pointers.size === 1) {
      // A tap beside the square moves its centre there.
      const rect = this.canvas.getBoundingClientRect();
      const k = this.scale();
      this.square.x = (event.clientX - rect.left) * k - this.square.side / 2;
      this.square.y = (event.clientY - rect.top) * k - this.square.side / 2;
      this.place();
    }
  }

  pointerMove(event) {
    const previous = this.pointers.get(event.pointerId);
    if (!previous) return;
    event.preventDefault();
    const k = this.scale();
    if (this.pointers.size === 1) {
      this.square.x += (event.clientX - previous.x) * k;
      this.square.y += (event.clientY - previous.y) * k;
    } else {
      // Pinch: the square grows with the distance between the two fingers.
      const other = [...this.pointers.entries()].find(([id]) => id !== event.pointerId)[1];
      const before = Math.hypot(previous.x - other.x, previous.y - other.y);
      const after = Math.hypot(event.clientX - other.x, event.clientY - other.y);
      if (before > 0) {
        this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
        this.resizeTo(this.square.side * after / before);
        return;
      }
    }
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
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
