import { currentApiKey, storeApiKey } from "./api.js";
import { clearNotices } from "./notices.js";

/**
 * The API key dialog. Station with `server.apiKeys` answers 401 to every API call without a
 * key; the page shell itself loads without one. The key is kept in this browser's localStorage
 * and sent as `Authorization: Bearer` on every call.
 *
 * @param {{reason?: string}} [options]
 * @returns {Promise<boolean>} true when a key was saved (or forgotten), false when cancelled
 */
export function openKeyDialog(options = {}) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("key-dialog"));
  const form = /** @type {HTMLFormElement} */ (dialog.querySelector("form"));
  const input = /** @type {HTMLInputElement} */ (dialog.querySelector("#api-key-input"));
  const reason = /** @type {HTMLElement} */ (dialog.querySelector("#key-dialog-reason"));
  const forget = /** @type {HTMLButtonElement} */ (dialog.querySelector("#api-key-forget"));
  const cancel = /** @type {HTMLButtonElement} */ (dialog.querySelector("#api-key-cancel"));
  if (dialog.open) return Promise.resolve(false);

  reason.textContent = options.reason ?? "";
  reason.hidden = options.reason === undefined;
  input.value = currentApiKey();
  forget.hidden = currentApiKey().length === 0;

  return new Promise((resolve) => {
    /** @param {boolean} saved */
    const finish = (saved) => {
      form.removeEventListener("submit", onSubmit);
      forget.removeEventListener("click", onForget);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (saved) {
        clearNotices();
        updateKeyButton();
      }
      resolve(saved);
    };
    /** @param {SubmitEvent} event */
    const onSubmit = (event) => {
      event.preventDefault();
      storeApiKey(input.value.trim());
      finish(true);
    };
    const onForget = () => {
      storeApiKey("");
      finish(true);
    };
    /** @param {Event} [event] */
    const onCancel = (event) => {
      event?.preventDefault();
      finish(false);
    };
    form.addEventListener("submit", onSubmit);
    forget.addEventListener("click", onForget);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    input.focus();
  });
}

/** The sidebar button says whether a key is stored. */
export function updateKeyButton() {
  const button = document.getElementById("api-key-button");
  if (button === null) return;
  const hasKey = currentApiKey().length > 0;
  button.textContent = hasKey ? "API key: set" : "API key";
  button.setAttribute("aria-label", hasKey ? "API key (one is stored in this browser); change or forget it" : "Enter an API key");
}
