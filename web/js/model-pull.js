import { ApiError, api } from "./api.js";
import { h } from "./dom.js";
import { formatBytes } from "./format.js";
import { showError } from "./notices.js";
import { readEvents } from "./sse.js";

/** What Station recommends for captions, as in its "no captioning model" hint (src/vision/no-caption-model-hint.ts). */
export const recommendedVisionModel = "hf:onnx-community/Florence-2-base-ft";

/**
 * A model download through POST /v1/system/models/pull with its streamed progress on a
 * progress bar: `progress` events (file, bytes done of all, percent), then `done` (the model
 * id it serves as) or `error`. Used by the Models view and the Vision view's offer.
 *
 * @param {{signal: AbortSignal, onDone?: (result: any) => void}} options
 */
export function createModelPull({ signal, onDone }) {
  const bar = /** @type {HTMLProgressElement} */ (h("progress", { max: 100, value: 0, "aria-label": "Download progress" }));
  const text = h("span", { class: "pull-text" });
  const element = h("div", { class: "pull-progress", role: "status", hidden: true, dataset: { updates: "0", state: "idle" } }, bar, text);
  let running = false;

  return {
    element,
    get running() {
      return running;
    },
    /**
     * @param {string} model e.g. "hf:onnx-community/Florence-2-base-ft"
     * @param {string} [dtype] "auto" (the default), "fp32", "q8", ...
     * @returns {Promise<boolean>} whether the model arrived
     */
    async pull(model, dtype = "auto") {
      if (running) return false;
      running = true;
      let updates = 0;
      element.hidden = false;
      element.dataset.state = "running";
      element.dataset.updates = "0";
      bar.value = 0;
      bar.removeAttribute("value");
      text.textContent = `Pulling ${model}…`;
      try {
        const response = await api("/v1/system/models/pull", { body: { model, dtype }, signal, raw: true });
        for await (const { event, data } of readEvents(response)) {
          const payload = JSON.parse(data);
          if (event === "progress") {
            updates += 1;
            element.dataset.updates = String(updates);
            bar.value = payload.percent;
            text.textContent = `${payload.percent} % · ${formatBytes(payload.completed)} of ${formatBytes(payload.total)} · ${payload.file}`;
          } else if (event === "done") {
            bar.value = 100;
            element.dataset.state = "done";
            text.textContent = `${payload.alreadyPresent ? "Already here" : "Pulled"}: ${payload.model} (${payload.family}, ${payload.dtype}, ${formatBytes(payload.sizeBytes)})`;
            onDone?.(payload);
            return true;
          } else if (event === "error") {
            throw new ApiError(0, payload.code, payload.message);
          }
        }
        throw new ApiError(0, "stream_incomplete", "The pull stream ended before the download finished");
      } catch (error) {
        element.dataset.state = "failed";
        text.textContent = `Not pulled: ${error instanceof Error ? error.message : String(error)}`;
        showError(error, `Pulling ${model}`);
        return false;
      } finally {
        running = false;
      }
    },
  };
}
