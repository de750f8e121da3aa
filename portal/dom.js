// DOM helpers. Everything is built with createElement and text nodes: API data is never parsed as HTML.
const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "required", "open"]);

/** h("tr", {class: "row", onclick: fn}, "text", child, [children]) -> the element. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (PROPERTIES.has(name)) element[name] = value;
    else if (value !== false) element.setAttribute(name, value === true ? "" : String(value));
  }
  return withChildren(element, children);
}

/** svg("rect", {x: 1}, ...children) -> an SVG element: attributes only (an <svg> draws no HTML element). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  return withChildren(element, children);
}

// Children as h() and svg() take them: nodes, text (as text nodes), nested arrays; null/undefined/false skipped.
function withChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replace(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== false));
}

const banner = () => document.getElementById("banner");

/** A message above the screen: kind "error" for problems, "info" for confirmations. */
export function showBanner(kind, ...content) {
  const element = banner();
  element.className = `banner ${kind}`;
  replace(element, h("span", {}, ...content), h("button", { type: "button", class: "link", onclick: clearBanner }, "Dismiss"));
  element.hidden = false;
}

export function clearBanner() {
  const element = banner();
  element.hidden = true;
  element.replaceChildren();
}

/** Shows an API problem: each field error next to its field in `form`, everything else in the banner. */
export function showProblem(error, form = null) {
  if (form) clearFieldErrors(form);
  if (!error || !("problem" in error)) {
    showBanner("error", `The API could not be reached: ${error && error.message ? error.message : error}`);
    return;
  }
  const unplaced = [];
  for (const fieldError of error.fieldErrors) {
    const slot = form && fieldSlot(form, String(fieldError.field || ""));
    if (slot) {
      slot.textContent = fieldError.message;
      slot.closest("[data-field]").classList.add("invalid");
    } else {
      unplaced.push(`${fieldError.field}: ${fieldError.message}`);
    }
  }
  if (unplaced.length || !error.fieldErrors.length) {
    const detail = error.problem.detail || error.message;
    showBanner("error", `${error.problem.title || "Error"}: ${detail}`, unplaced.length ? ` (${unplaced.join("; ")})` : "");
  } else {
    clearBanner();
  }
}

// The error slot of the field an error names, or of its closest named parent ("retry_policy.max_attempts").
function fieldSlot(form, field) {
  const parts = field.split(".");
  while (parts.length) {
    const name = parts.join(".");
    const container = [...form.querySelectorAll("[data-field]")].find((node) => node.dataset.field === name);
    const slot = container && container.querySelector(":scope > .field-error");
    if (slot) return slot;
    parts.pop();
  }
  return null;
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const field of form.querySelectorAll(".invalid")) field.classList.remove("invalid");
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

export function statusBadge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

/**
 * A table body read page by page: `readPage(cursor)` is the API call of one page (answering {items,
 * next_cursor}), each of its `entries(page)` (its items unless given) becomes `row(entry)`, and "Load more"
 * (in `more`) adds the next page under it;
 * `empty` is the text of a first page without items, across `columns`. `reload()` reads the first page
 * again; a "Load more" that fails goes to `onProblem`.
 */
export function pagedRows({ readPage, row, entries = (page) => page.items, empty = null, columns = 1, onProblem }) {
  const body = h("tbody");
  const more = h("div", { class: "more" });
  const load = async (cursor) => {
    const { data: page } = await readPage(cursor);
    if (!cursor) replace(body);
    body.append(...entries(page).map(row));
    if (!body.children.length && empty) body.append(h("tr", {}, h("td", { colspan: columns, class: "muted" }, empty)));
    const next = page.next_cursor;
    replace(more, next ? h("button", { type: "button", onclick: () => load(next).catch(onProblem) }, "Load more") : null);
  };
  return { body, more, reload: () => load() };
}

/**
 * A modal dialog: a title, the body's elements, then the confirm button (`confirmClass`) and Cancel.
 * `onConfirm(close)` runs when confirmed; closing removes the dialog from the page.
 */
export function openDialog(className, { title, body, confirm, confirmClass = "primary", onConfirm }) {
  const dialog = h("dialog", { class: className });
  const close = () => { dialog.close(); dialog.remove(); };
  replace(
    dialog,
    h("h2", {}, title),
    body,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: confirmClass, onclick: () => onConfirm(close) }, confirm),
      h("button", { type: "button", onclick: close }, "Cancel"),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
}
