/** DOM helpers: find by id, build elements without HTML strings, show/hide, per-field errors. */

/** The element with this id; a missing one is a bug in index.html, so it throws. */
export const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
};

/** Creates an element; `attrs` are attributes except `text` (textContent) and `class`. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') element.textContent = String(value);
    else if (key === 'class') element.className = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

export function show(element, visible = true) {
  element.hidden = !visible;
}

export function setFieldError(input, errorElement, message) {
  if (message) {
    errorElement.textContent = message;
    show(errorElement);
    input.setAttribute('aria-invalid', 'true');
  } else {
    errorElement.textContent = '';
    show(errorElement, false);
    input.removeAttribute('aria-invalid');
  }
}
