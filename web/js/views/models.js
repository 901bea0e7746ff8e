import { api } from "../api.js";
import { badge, field, h, replace, table, viewHeader } from "../dom.js";
import { formatBytes, formatNumber, formatRelative } from "../format.js";
import { createModelPull, recommendedVisionModel } from "../model-pull.js";
import { showError, showInfo } from "../notices.js";

/** Provider types whose models Station can load and unload (POST /v1/system/models/load|unload). */
const residentTypes = new Set(["llamacpp", "lmstudio", "ollama"]);

/** Precisions POST /v1/system/models/pull takes for an ONNX repository ("auto": fp32 if present). */
const pullDtypes = ["auto", "fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"];

/**
 * The model catalogue (/api/models with /api/models/metadata's facets as filters), load/unload
 * for providers that manage memory, what is loaded now (/v1/system/ps), and pulling a model
 * (POST /v1/system/models/pull, with a progress bar).
 */
export const modelsView = {
  title: "Models",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** @type {Map<string, string>} provider id → type */
    let providerTypes = new Map();
    /** @type {any[]} */
    let models = [];

    const search = h("input", { id: "models-search", type: "search", placeholder: "Filter by name", autocomplete: "off" });
    const capability = /** @type {HTMLSelectElement} */ (h("select", { id: "models-capability" }, h("option", { value: "" }, "Any")));
    const provider = /** @type {HTMLSelectElement} */ (h("select", { id: "models-provider" }, h("option", { value: "" }, "Any")));
    const state = /** @type {HTMLSelectElement} */ (h("select", { id: "models-state" }, h("option", { value: "" }, "Any")));
    const count = h("p", { class: "muted", role: "status" });
    const list = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
    const running = h("div");
    const refresh = h(
      "button",
      { type: "button", class: "button", onclick: () => void load(true), title: "Ask every provider for its models again" },
      "Rediscover",
    );

    const pullInput = /** @type {HTMLInputElement} */ (
      h("input", {
        id: "models-pull",
        type: "text",
        placeholder: recommendedVisionModel,
        autocomplete: "off",
        spellcheck: false,
        required: true,
      })
    );
    const pullDtype = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: "models-pull-dtype" },
        pullDtypes.map((dtype) => h("option", { value: dtype }, dtype)),
      )
    );
    const pullButton = h("button", { type: "submit", class: "button primary" }, "Pull");
    const pull = createModelPull({
      signal,
      onDone: (result) => {
        showInfo(`${result.model} is ready.`);
        void load(false);
      },
    });
    const pullForm = h(
      "form",
      {
        class: "inline-form",
        "aria-label": "Pull a model",
        onsubmit: async (/** @type {Event} */ event) => {
          event.preventDefault();
          const model = pullInput.value.trim();
          if (model === "" || pull.running) return;
          pullButton.disabled = true;
          await pull.pull(model, pullDtype.value);
          pullButton.disabled = false;
        },
      },
      field("Repository or .mf file", pullInput),
      field("Precision", pullDtype),
      pullButton,
    );

    container.append(
      viewHeader("Models", "Every model Station can serve, from every provider, with what each can do.", refresh),
      h(
        "form",
        {
          class: "filters",
          role: "search",
          "aria-label": "Filter models",
          onsubmit: (/** @type {Event} */ event) => event.preventDefault(),
        },
        field("Name", search),
        field("Capability", capability),
        field("Provider", provider),
        field("State", state),
      ),
      count,
      list,
      h("h2", null, "Loaded in memory"),
      running,
      h("h2", null, "Pull a model"),
      h(
        "p",
        { class: "muted" },
        "A Hugging Face ONNX vision repository (hf:<user>/<repo>, e.g. Florence-2; the precision applies to it) or a Moondream .mf / .mf.gz (a path on the server, an http(s) URL, or hf:<user>/<repo>/<file>.mf.gz) goes into the local vision provider and serves at once. GGUF files: bin/station pull.",
      ),
      pullForm,
      pull.element,
    );

    const render = () => {
      const text = /** @type {HTMLInputElement} */ (search).value.trim().toLowerCase();
      const shown = models.filter(
        (model) =>
          (text === "" || model.id.toLowerCase().includes(text)) &&
          (capability.value === "" || model.capabilities.includes(capability.value)) &&
          (provider.value === "" || model.providerId === provider.value) &&
          (state.value === "" || (model.state ?? "available") === state.value),
      );
      count.textContent = `${formatNumber(shown.length)} of ${formatNumber(models.length)} models`;
      list.removeAttribute("aria-busy");
      replace(
        list,
        shown.length === 0
          ? h("p", { class: "empty-state" }, models.length === 0 ? "No models yet: add a provider or a GGUF file." : "No model matches.")
          : table(
              ["Model", "Provider", "Capabilities", "Context", "State", ""],
              shown.map((model) => [
                h("code", null, model.id),
                `${model.providerId}${providerTypes.has(model.providerId) ? ` (${providerTypes.get(model.providerId)})` : ""}`,
                h(
                  "span",
                  { class: "chips" },
                  model.capabilities.map((/** @type {string} */ name) => h("span", { class: "chip" }, name)),
                ),
                model.contextLength === undefined ? "—" : formatNumber(model.contextLength),
                badge(model.state ?? "available"),
                residencyButton(model),
              ]),
            ),
      );
    };

    /** @param {any} model */
    const residencyButton = (model) => {
      if (!residentTypes.has(providerTypes.get(model.providerId) ?? "")) return null;
      const loaded = model.state === "loaded";
      return h(
        "button",
        {
          type: "button",
          class: "button small",
          "aria-label": `${loaded ? "Unload" : "Load"} ${model.id}`,
          onclick: (/** @type {Event} */ event) =>
            void residency(/** @type {HTMLButtonElement} */ (event.currentTarget), model.id, !loaded),
        },
        loaded ? "Unload" : "Load",
      );
    };

    /** @param {HTMLButtonElement} button @param {string} id @param {boolean} loadIt */
    const residency = async (button, id, loadIt) => {
      button.disabled = true;
      button.textContent = loadIt ? "Loading…" : "Unloading…";
      try {
        await api(`/v1/system/models/${loadIt ? "load" : "unload"}`, { body: { model: id }, signal });
        showInfo(`${id} ${loadIt ? "loaded" : "unloaded"}.`);
      } catch (error) {
        showError(error, `${loadIt ? "Loading" : "Unloading"} ${id}`);
      }
      await load(false);
    };

    /** @param {boolean} rediscover */
    const load = async (rediscover) => {
      try {
        const [metadata, catalogue, ps] = await Promise.all([
          api("/api/models/metadata", { signal }),
          api(`/api/models${rediscover ? "?refresh=true" : ""}`, { signal }),
          api("/v1/system/ps", { signal }),
        ]);
        providerTypes = new Map(metadata.providers.map((/** @type {any} */ entry) => [entry.id, entry.type]));
        models = catalogue.models;
        fillOptions(
          capability,
          metadata.capabilities.map((/** @type {any} */ entry) => [entry.name, `${entry.name} (${entry.count})`]),
        );
        fillOptions(
          provider,
          metadata.providers.map((/** @type {any} */ entry) => [entry.id, `${entry.id} (${entry.count})`]),
        );
        fillOptions(
          state,
          metadata.states.map((/** @type {any} */ entry) => [entry.name, `${entry.name} (${entry.count})`]),
        );
        render();
        renderRunning(ps.models);
      } catch (error) {
        showError(error, "Loading models");
        list.removeAttribute("aria-busy");
        if (models.length === 0) replace(list, h("p", { class: "empty-state" }, "The catalogue could not be loaded."));
      }
    };

    /** @param {any[]} entries */
    const renderRunning = (entries) => {
      replace(
        running,
        entries.length === 0
          ? h("p", { class: "muted" }, "No model is loaded in memory. Local models load on first use, or with Load above.")
          : table(
              ["Model", "Size", "Context", "Sequences busy", "Last used", "Unloads"],
              entries.map((entry) => [
                h("code", null, entry.id),
                formatBytes(entry.sizeBytes),
                formatNumber(entry.contextSize),
                `${entry.sequences.busy} of ${entry.sequences.total}${entry.sequences.waiting > 0 ? `, ${entry.sequences.waiting} waiting` : ""}`,
                formatRelative(entry.lastUsedAt),
                entry.expiresAt === null ? "never" : formatRelative(entry.expiresAt),
              ]),
            ),
      );
    };

    for (const control of [search, capability, provider, state]) control.addEventListener("input", render);
    void load(false);
  },
};

/**
 * Refills a filter's options, keeping "Any" and the current choice.
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options value, label
 */
function fillOptions(select, options) {
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, "Any"), ...options.map(([value, label]) => h("option", { value }, label)));
  select.value = options.some(([value]) => value === chosen) ? chosen : "";
}
