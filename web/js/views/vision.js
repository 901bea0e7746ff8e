import { ApiError, api, isAbortError } from "../api.js";
import { field, h, replace, viewHeader } from "../dom.js";
import { drawOverlay } from "../draw-overlay.js";
import { createImagePicker } from "../image-picker.js";
import { createModelPull, recommendedVisionModel } from "../model-pull.js";
import { showError, showInfo } from "../notices.js";
import { readEvents } from "../sse.js";

const tasks = /** @type {const} */ ([
  { id: "caption", label: "Caption", run: "Caption" },
  { id: "query", label: "Ask", run: "Ask" },
  { id: "detect", label: "Detect", run: "Detect" },
  { id: "point", label: "Point", run: "Point" },
]);

/** @typedef {{boxes?: {x_min: number, y_min: number, x_max: number, y_max: number}[], points?: {x: number, y: number}[], label?: string}} Marks */

/**
 * The Moondream-compatible API on an image the user picks: caption and ask stream their text
 * (SSE), detect draws boxes and point draws dots on a canvas laid over the image. It says which
 * model answers (GET /model/info for the default) and, when no model can caption (OCR alone),
 * offers to pull one into the local vision provider.
 */
export const visionView = {
  title: "Vision",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** @type {(typeof tasks)[number]["id"]} */
    let task = "caption";
    /** @type {Marks} */
    let marks = {};
    /** @type {AbortController | undefined} */
    let running;

    const image = /** @type {HTMLImageElement} */ (h("img", { class: "stage-image", alt: "" }));
    const overlay = /** @type {HTMLCanvasElement} */ (h("canvas", { class: "stage-overlay", "aria-hidden": "true" }));
    const stage = h("div", { class: "stage", hidden: true }, image, overlay);
    const picker = createImagePicker({
      id: "vision-image",
      label: "Choose an image",
      signal,
      onChange: (picked) => {
        marks = {};
        replace(output);
        replace(results);
        stage.hidden = picked === undefined;
        if (picked !== undefined) {
          image.src = picked.objectUrl;
          image.alt = `The chosen image, ${picked.file.name || "pasted"}`;
        }
      },
    });

    const redraw = () => {
      if (!stage.hidden && image.complete) drawOverlay(overlay, image, marks);
    };
    image.addEventListener("load", redraw);
    const resizes = new ResizeObserver(redraw);
    resizes.observe(image);
    signal.addEventListener("abort", () => {
      resizes.disconnect();
      running?.abort();
    });

    const modelSelect = /** @type {HTMLSelectElement} */ (
      h("select", { id: "vision-model" }, h("option", { value: "" }, "Default vision model"))
    );
    const length = h(
      "select",
      { id: "vision-length" },
      h("option", { value: "short" }, "Short"),
      h("option", { value: "normal", selected: true }, "Normal"),
      h("option", { value: "long" }, "Long"),
    );
    const question = h("input", { id: "vision-question", type: "text", placeholder: "What is in this picture?", autocomplete: "off" });
    const object = h("input", { id: "vision-object", type: "text", placeholder: "e.g. face, car, cup", autocomplete: "off" });
    const lengthField = field("Length", length);
    const questionField = field("Question", question);
    const objectField = field("Object", object, "What to find: boxes (detect) or centre points (point), as the model sees them.");
    const runButton = h("button", { type: "submit", class: "button primary" }, "Caption");
    const stopButton = h("button", { type: "button", class: "button danger", disabled: true, onclick: () => running?.abort() }, "Stop");
    const output = h("div", { id: "vision-output", class: "output", role: "status", "aria-live": "polite" });
    const results = h("div", { class: "results" });

    const taskSwitch = h(
      "fieldset",
      { class: "segmented" },
      h("legend", { class: "visually-hidden" }, "Task"),
      tasks.map((entry) =>
        h(
          "label",
          null,
          h("input", {
            type: "radio",
            name: "vision-task",
            value: entry.id,
            checked: entry.id === task,
            onchange: () => selectTask(entry.id),
          }),
          h("span", null, entry.label),
        ),
      ),
    );

    /** @param {(typeof tasks)[number]["id"]} next */
    const selectTask = (next) => {
      task = next;
      lengthField.hidden = task !== "caption";
      questionField.hidden = task !== "query";
      objectField.hidden = task !== "detect" && task !== "point";
      runButton.textContent = tasks.find((entry) => entry.id === task)?.run ?? "Run";
    };
    selectTask(task);

    const answerer = h("p", { class: "answerer", id: "vision-answerer", role: "status" });
    /** @type {Map<string, string[]>} model id → capabilities */
    let visionModels = new Map();
    const showAnswerer = async () => {
      const chosen = modelSelect.value;
      if (chosen !== "") {
        answerer.textContent = `Answers: ${chosen}${ocrOnly(visionModels.get(chosen) ?? []) ? " (OCR: it only reads text)" : ""}`;
        return;
      }
      try {
        const info = await api("/model/info", { signal });
        if (modelSelect.value !== "") return;
        answerer.textContent =
          info.model === null
            ? "No vision model answers: add one (see the note above)."
            : `Answers: ${info.model} (Station's default${ocrOnly(info.model_capabilities ?? []) ? "; OCR: it only reads text" : ""})`;
      } catch (error) {
        showError(error, "Finding the vision model");
      }
    };
    modelSelect.addEventListener("change", () => void showAnswerer());

    const form = h(
      "form",
      { class: "vision-form", "aria-label": "Vision task" },
      taskSwitch,
      field("Model", modelSelect),
      answerer,
      lengthField,
      questionField,
      objectField,
      h("div", { class: "form-actions" }, stopButton, runButton),
    );

    // With OCR alone, a "caption" is the text in the picture: say so before anyone tries (GET /health's
    // visionHint), and offer the recommended local model when a local vision provider can take it.
    const visionHint = h("div", { class: "callout", role: "note", id: "vision-hint", hidden: true });
    const offer = createModelPull({
      signal,
      onDone: (result) => {
        showInfo(`${result.model} is ready to caption.`);
        void refresh();
      },
    });
    const offerButton = h(
      "button",
      {
        type: "button",
        class: "button primary",
        onclick: async () => {
          offerButton.disabled = true;
          if (!(await offer.pull(recommendedVisionModel))) offerButton.disabled = false;
        },
      },
      `Pull ${recommendedVisionModel.split("/").at(-1)}`,
    );
    const showHint = async () => {
      try {
        const health = await api("/health", { signal });
        if (typeof health?.visionHint !== "string") {
          visionHint.hidden = true;
          return;
        }
        const canPull = health.providers.some((/** @type {any} */ provider) => provider.type === "local-vision");
        replace(
          visionHint,
          h("strong", null, "No captioning model. "),
          health.visionHint,
          canPull ? h("div", null, offerButton, offer.element) : null,
        );
        visionHint.hidden = false;
      } catch {
        // The note is a courtesy: the view works without it.
      }
    };

    container.append(
      viewHeader("Vision", "Caption, ask, detect and point on an image, through the Moondream-compatible API."),
      visionHint,
      h(
        "div",
        { class: "vision-layout" },
        h("section", { class: "card", "aria-label": "Image" }, picker.element, stage),
        h("section", { class: "card", "aria-label": "Task and result" }, form, h("h2", null, "Result"), output, results),
      ),
    );

    const loadModels = async () => {
      try {
        const { models } = await api("/api/models", { signal });
        const visual = models.filter((/** @type {any} */ model) =>
          model.capabilities.some((/** @type {string} */ capability) => ["vision", "ocr", "detect", "point"].includes(capability)),
        );
        visionModels = new Map(visual.map((/** @type {any} */ model) => [model.id, model.capabilities]));
        const chosen = modelSelect.value;
        modelSelect.replaceChildren(
          h("option", { value: "" }, "Default vision model"),
          ...visual.map((/** @type {any} */ model) => h("option", { value: model.id }, model.id)),
        );
        modelSelect.value = visionModels.has(chosen) ? chosen : "";
      } catch (error) {
        showError(error, "Loading vision models");
      }
    };
    const refresh = async () => {
      await loadModels();
      await Promise.all([showAnswerer(), showHint()]);
    };

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const picked = picker.image;
      if (picked === undefined) {
        showError(new Error("Choose an image first"), "Vision");
        return;
      }
      const model = modelSelect.value;
      const base = { image_url: picked.dataUrl, ...(model === "" ? {} : { model }) };
      const what = /** @type {HTMLInputElement} */ (task === "query" ? question : object).value.trim();
      if ((task === "query" || task === "detect" || task === "point") && what === "") {
        showError(new Error(task === "query" ? "Type a question" : "Name the object to look for"), "Vision");
        return;
      }

      running?.abort();
      const controller = new AbortController();
      running = controller;
      runButton.disabled = true;
      stopButton.disabled = false;
      output.setAttribute("aria-busy", "true");
      marks = {};
      redraw();
      replace(output);
      replace(results);
      try {
        if (task === "caption" || task === "query") {
          const body =
            task === "caption"
              ? { ...base, length: /** @type {HTMLSelectElement} */ (length).value, stream: true }
              : { ...base, question: what, stream: true };
          const response = await api(`/v1/${task}`, { body, signal: controller.signal, raw: true });
          for await (const { data } of readEvents(response)) {
            const message = JSON.parse(data);
            if (typeof message.chunk === "string") output.append(message.chunk);
            if (message.error) throw new ApiError(0, message.error.code, message.error.message);
          }
        } else {
          const reply = await api(`/v1/${task}`, { body: { ...base, object: what }, signal: controller.signal });
          marks = task === "detect" ? { boxes: reply.objects, label: what } : { points: reply.points, label: what };
          redraw();
          renderLocations(task, reply, what);
        }
      } catch (error) {
        if (isAbortError(error)) output.append(h("span", { class: "muted" }, " (stopped)"));
        else showError(error, tasks.find((entry) => entry.id === task)?.label);
      } finally {
        if (running === controller) {
          running = undefined;
          runButton.disabled = false;
          stopButton.disabled = true;
          output.removeAttribute("aria-busy");
        }
      }
    });

    /**
     * @param {"detect" | "point"} kind
     * @param {any} reply
     * @param {string} label
     */
    const renderLocations = (kind, reply, label) => {
      const found = kind === "detect" ? reply.objects : reply.points;
      output.textContent = found.length === 0 ? `No ${label} found.` : `Found ${found.length} × ${label}.`;
      const percent = (/** @type {number} */ value) => `${(value * 100).toFixed(1)}%`;
      replace(
        results,
        found.length === 0
          ? null
          : h(
              "ol",
              { class: "locations" },
              found.map((/** @type {any} */ item) =>
                h(
                  "li",
                  null,
                  kind === "detect"
                    ? `x ${percent(item.x_min)}–${percent(item.x_max)}, y ${percent(item.y_min)}–${percent(item.y_max)}`
                    : `x ${percent(item.x)}, y ${percent(item.y)}`,
                ),
              ),
            ),
      );
    };

    void refresh();
  },
};

/** @param {string[]} capabilities */
function ocrOnly(capabilities) {
  return capabilities.includes("ocr") && !capabilities.includes("vision");
}
