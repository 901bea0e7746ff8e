/**
 * A tiny element builder. Text always goes in as text nodes (never parsed as HTML), so strings
 * from the API cannot inject markup; the page's CSP forbids inline script and style as well.
 *
 *   h("button", { class: "primary", type: "button", onclick: run }, "Run")
 *   h("p", { class: "muted", hidden: true }, "No models")
 */

/** @typedef {Node | string | number | null | undefined | false | unknown[]} Child nested arrays are flattened */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === "class") {
      element.className = String(value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name in element && !name.includes("-") && name !== "list" && name !== "form") {
      // Properties (value, checked, disabled, hidden, type, ...) rather than attributes.
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (element))[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/**
 * Replaces an element's children.
 * @param {Element} parent
 * @param {...Child} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * A coloured status word ("ok", "down", "connected", "failed", ...).
 * @param {string} status
 * @param {string} [label]
 */
export function badge(status, label = status) {
  return h("span", { class: `badge badge-${badgeTone(status)}` }, label);
}

/** @param {string} status */
function badgeTone(status) {
  if (["ok", "connected", "completed", "loaded", "delivered", "available"].includes(status)) return "good";
  if (["degraded", "connecting", "queued", "running", "not-loaded", "cancelled"].includes(status)) return "warn";
  if (["down", "failed", "disconnected", "error"].includes(status)) return "bad";
  return "neutral";
}

/**
 * A card with a heading.
 * @param {string} title
 * @param {...Child} children
 */
export function card(title, ...children) {
  return h("section", { class: "card" }, h("h2", null, title), ...children);
}

/**
 * A labelled form field (the label wraps nothing: `for` points at the control's id).
 * @param {string} label
 * @param {HTMLElement} control must have an id
 * @param {string} [help]
 */
export function field(label, control, help) {
  const helpId = help === undefined ? undefined : `${control.id}-help`;
  if (helpId !== undefined) control.setAttribute("aria-describedby", helpId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    help === undefined ? null : h("p", { class: "help", id: helpId }, help),
  );
}

let uniqueCounter = 0;

/** @param {string} prefix */
export function uniqueId(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/**
 * A view's header: the h1 (focusable, so the router can move focus to it), a line saying what
 * the view is for, and optional actions on the right.
 * @param {string} title
 * @param {string} description
 * @param {...Child} actions
 */
export function viewHeader(title, description, ...actions) {
  return h(
    "header",
    { class: "view-header" },
    h("div", null, h("h1", { tabindex: "-1" }, title), h("p", { class: "muted" }, description)),
    actions.length === 0 ? null : h("div", { class: "actions" }, ...actions),
  );
}

/**
 * @param {string} label
 * @param {Child} value
 */
export function stat(label, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label), h("span", { class: "stat-value" }, value));
}

/**
 * @param {string[]} headings
 * @param {Child[][]} rows
 */
export function table(headings, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headings.map((heading) => h("th", { scope: "col" }, heading)),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((row) =>
          h(
            "tr",
            null,
            row.map((cell) => h("td", null, cell)),
          ),
        ),
      ),
    ),
  );
}
