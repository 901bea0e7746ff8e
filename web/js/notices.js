import { isAbortError } from "./api.js";
import { h } from "./dom.js";

/**
 * The message area at the top of every view. API errors land here, visibly, with their code;
 * the same message again bumps a counter instead of piling up (a poll against a stopped server).
 */

const maxNotices = 5;

/** @returns {HTMLElement} */
function area() {
  const element = document.getElementById("notices");
  if (element === null) throw new Error("#notices is missing from the page");
  return element;
}

/**
 * Shows an error. Aborted requests (the user pressed Stop, or left the view) are not errors.
 * @param {unknown} error
 * @param {string} [context] what was being done, e.g. "Loading models"
 */
export function showError(error, context) {
  if (isAbortError(error)) return;
  const { code, message, status } = describe(error);
  const detail = code === undefined ? undefined : `${code}${status ? ` · HTTP ${status}` : ""}`;
  if (status === 401) {
    // Every call fails the same way without a valid key: one message, with the way out.
    const askForKey = { label: "Enter API key", run: () => window.dispatchEvent(new Event("station:api-key")) };
    notice("error", "Station needs a valid API key for this.", detail, askForKey);
    return;
  }
  notice("error", `${context === undefined ? "" : `${context}: `}${message}`, detail);
}

/**
 * @param {string} text
 */
export function showInfo(text) {
  notice("info", text);
}

/** Removes every notice (e.g. after the user saved a new API key). */
export function clearNotices() {
  area().replaceChildren();
}

/**
 * @param {"error" | "info"} kind
 * @param {string} text
 * @param {string} [detail]
 * @param {{label: string, run: () => void}} [action]
 */
function notice(kind, text, detail, action) {
  const container = area();
  const key = `${kind}|${text}|${detail ?? ""}`;
  for (const existing of container.querySelectorAll(".notice")) {
    if (existing instanceof HTMLElement && existing.dataset.key === key) {
      const count = Number(existing.dataset.count ?? "1") + 1;
      existing.dataset.count = String(count);
      const counter = existing.querySelector(".notice-count");
      if (counter) counter.textContent = `×${count}`;
      return;
    }
  }
  const element = h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status", dataset: { key, count: "1" } },
    h(
      "div",
      { class: "notice-body" },
      h("p", { class: "notice-text" }, text),
      detail === undefined ? null : h("p", { class: "notice-detail" }, detail),
    ),
    action === undefined ? null : h("button", { type: "button", class: "button small", onclick: action.run }, action.label),
    h("span", { class: "notice-count", "aria-hidden": "true" }),
    h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss message", onclick: () => element.remove() }, "×"),
  );
  container.append(element);
  while (container.children.length > maxNotices) container.firstElementChild?.remove();
}

/**
 * @param {unknown} error
 * @returns {{code?: string, message: string, status?: number}}
 */
function describe(error) {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    const { code, message, status } = /** @type {{code: unknown, message: unknown, status?: unknown}} */ (error);
    return { code: String(code), message: String(message), ...(typeof status === "number" ? { status } : {}) };
  }
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}
