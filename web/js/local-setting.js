/**
 * Small UI preferences kept in this browser (last chat model, open conversation, submitted jobs).
 * Storage can be unavailable (private mode, blocked site data): then they last as long as the page.
 */

/** @param {string} name */
export function readSetting(name) {
  try {
    return localStorage.getItem(name) ?? "";
  } catch {
    return "";
  }
}

/**
 * @param {string} name
 * @param {string} value an empty string removes the setting
 */
export function writeSetting(name, value) {
  try {
    if (value === "") localStorage.removeItem(name);
    else localStorage.setItem(name, value);
  } catch {
    // No storage: nothing to keep.
  }
}
