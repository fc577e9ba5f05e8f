// @ts-check
// Elements for the views, written as what they are: h('li', {dataset: {code}}, text). Text is always set as text
// (never parsed as HTML), so a label from a model stays data. Measured against lit-html 3.3 and uhtml 4.7 on four
// of the page's renderings (web/js/README.md): the same number of lines, without a 2.9 KB library to ship.

/**
 * An element with properties (attributes where the element has no such property; `dataset` merged) and
 * children (strings become text; null, undefined, false and '' are left out).
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {any}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name in element) element[name] = value;
    else element.setAttribute(name, String(value));
  }
  element.append(...present(children));
  return element;
}

/**
 * An SVG element (drawings made on the page: the body map, the trend chart) with attributes and children.
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {...Node} children
 * @returns {any}
 */
export function svg(tag, attributes, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** @param {Array<Node | string | null | undefined | false>} children @returns {Array<Node | string>} */
const present = (children) => children.filter(/** @returns {child is Node | string} */ (child) =>
  child !== null && child !== undefined && child !== false && child !== '');

/**
 * Replaces an element's children, leaving out null, undefined, false and '' as h() does (replaceChildren alone
 * would show them as the words "undefined" and "false").
 * @param {Element} element
 * @param {...(Node | string | null | undefined | false)} children
 */
export function fill(element, ...children) {
  element.replaceChildren(...present(children));
}

/**
 * The page's element with this test id. Typed `any`: the page's elements are of many kinds (inputs, canvases,
 * dialogs), and each use reads what its kind has.
 * @param {string} id
 * @returns {any}
 */
export const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/**
 * Paints RGBA pixels from the worker onto a canvas sized to them.
 * @param {HTMLCanvasElement} canvas
 * @param {{width: number, height: number, rgba: ArrayLike<number> | ArrayBuffer}} image
 */
export function drawImage(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  // @ts-ignore: the worker sends a Uint8Array or its buffer; both construct the clamped copy
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
}
