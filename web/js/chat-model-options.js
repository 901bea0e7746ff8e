import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { showError } from "./notices.js";

/**
 * Fills a <datalist> with every chat model's id (GET /api/models?capability=chat), for the
 * model fields of Chat and Voice: any id, route or bare name may still be typed.
 * @param {HTMLDataListElement} list
 * @param {AbortSignal} signal
 */
export async function loadChatModelOptions(list, signal) {
  try {
    const { models } = await api("/api/models?capability=chat", { signal });
    replace(
      list,
      models.map((/** @type {any} */ model) => h("option", { value: model.id })),
    );
  } catch (error) {
    showError(error, "Loading chat models");
  }
}
