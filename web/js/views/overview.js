import { ApiError, api } from "../api.js";
import { badge, card, h, replace, stat, table, viewHeader } from "../dom.js";
import { formatBytes, formatDuration, formatNumber } from "../format.js";
import { showError } from "../notices.js";
import { poll } from "../poll.js";

/**
 * @typedef {{id: string, type: string, status: string, detail?: string}} ProviderHealth
 * @typedef {{status: string, version: string, uptimeSeconds: number, activeModels: string[], providers: ProviderHealth[], hint?: string, visionHint?: string}} Health
 */

/** Health, providers, models, queue and system at a glance; refreshed every 5 s while shown. */
export const overviewView = {
  title: "Overview",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    const body = h("div", { class: "overview", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
    const refresh = h("button", { type: "button", class: "button", onclick: () => void load(signal) }, "Refresh");
    container.append(viewHeader("Overview", "Station's health, providers, models and queue at a glance.", refresh), body);

    let shown = "";
    const systemContent = h("div");
    const systemCard = card("System", systemContent);
    /** @param {AbortSignal} abortSignal */
    const load = async (abortSignal) => {
      const [health, metadata, chatModels, stats, running, system] = await Promise.allSettled([
        api("/health", { signal: abortSignal }),
        api("/api/models/metadata", { signal: abortSignal }),
        api("/api/models?capability=chat", { signal: abortSignal }),
        api("/caption/stats", { signal: abortSignal }),
        api("/v1/system/ps", { signal: abortSignal }),
        // Newer Stations have JSON system metrics; an older one answers 404: leave the card out.
        api("/v1/system/metrics", { signal: abortSignal }).catch((error) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        }),
      ]);
      if (abortSignal.aborted) return;
      for (const [result, what] of /** @type {const} */ ([
        [health, "Health"],
        [metadata, "Models"],
        [chatModels, "Chat models"],
        [stats, "Caption queue"],
        [running, "Loaded models"],
        [system, "System metrics"],
      ])) {
        if (result.status === "rejected") showError(result.reason, what);
      }
      const value = (/** @type {PromiseSettledResult<any>} */ result) => (result.status === "fulfilled" ? result.value : undefined);
      /** @type {[Health | undefined, any, any[] | undefined, any, any[] | undefined]} */
      const data = [value(health), value(metadata), value(chatModels)?.models, value(stats), value(running)?.models];
      // Re-render only when something changed (uptime aside), so focus and scroll stay put; the
      // system card (figures that move every poll, nothing to focus) is refreshed in place.
      const signature = JSON.stringify(data, (key, item) => (key === "uptimeSeconds" ? undefined : item));
      const metrics = value(system);
      systemCard.hidden = metrics === undefined || metrics === null;
      if (!systemCard.hidden) replace(systemContent, systemBody(metrics));
      if (signature !== shown) {
        shown = signature;
        body.removeAttribute("aria-busy");
        replace(body, render(...data, systemCard));
      }
      const uptime = body.querySelector("[data-uptime]");
      if (uptime !== null && data[0] !== undefined) uptime.textContent = formatDuration(data[0].uptimeSeconds * 1000);
    };
    poll(load, 5000, signal);
  },
};

/**
 * @param {Health | undefined} health
 * @param {any} metadata
 * @param {any[] | undefined} chatModels
 * @param {any} stats
 * @param {any[] | undefined} running
 * @param {HTMLElement} systemCard
 */
function render(health, metadata, chatModels, stats, running, systemCard) {
  const modelCounts = new Map((metadata?.providers ?? []).map((/** @type {any} */ provider) => [provider.id, provider.count]));
  return [
    health === undefined
      ? null
      : h(
          "section",
          { class: "status-strip", "aria-label": "Status" },
          stat("Status", badge(health.status)),
          stat("Version", health.version),
          stat("Uptime", h("span", { "data-uptime": "" }, formatDuration(health.uptimeSeconds * 1000))),
          stat("Providers", formatNumber(health.providers.length)),
          stat("Models", formatNumber(metadata?.total)),
        ),
    health?.hint === undefined ? null : h("div", { class: "callout", role: "note" }, h("strong", null, "No chat model yet. "), health.hint),
    health?.visionHint === undefined
      ? null
      : h("div", { class: "callout", role: "note" }, h("strong", null, "No captioning model. "), health.visionHint),
    h(
      "div",
      { class: "grid" },
      health === undefined
        ? null
        : card(
            "Providers",
            health.providers.length === 0
              ? h("p", { class: "muted" }, "No providers configured.")
              : table(
                  ["Provider", "Type", "Status", "Models"],
                  health.providers.map((provider) => [
                    h(
                      "div",
                      null,
                      h("strong", null, provider.id),
                      provider.detail ? h("p", { class: "muted small" }, provider.detail) : null,
                    ),
                    provider.type,
                    badge(provider.status),
                    metadata === undefined ? "—" : formatNumber(/** @type {number | undefined} */ (modelCounts.get(provider.id)) ?? 0),
                  ]),
                ),
          ),
      card(
        "Models",
        chatModels === undefined
          ? null
          : h(
              "div",
              null,
              h("h3", null, `Chat models (${chatModels.length})`),
              chatModels.length === 0
                ? h("p", { class: "muted" }, "None: see the hint above.")
                : h(
                    "ul",
                    { class: "plain-list" },
                    chatModels.slice(0, 8).map((model) => h("li", null, h("code", null, model.id))),
                    chatModels.length > 8 ? h("li", null, h("a", { href: "#/models" }, `and ${chatModels.length - 8} more…`)) : null,
                  ),
            ),
        metadata === undefined
          ? null
          : h(
              "div",
              { class: "chips", "aria-label": "Capabilities" },
              metadata.capabilities.map((/** @type {any} */ capability) =>
                h("span", { class: "chip" }, `${capability.name} · ${formatNumber(capability.count)}`),
              ),
            ),
        h("h3", null, "Active"),
        health === undefined || health.activeModels.length === 0
          ? h("p", { class: "muted" }, "No model is loaded in memory right now.")
          : h(
              "ul",
              { class: "plain-list" },
              health.activeModels.map((id) => h("li", null, h("code", null, id))),
            ),
        running === undefined || running.length === 0
          ? null
          : table(
              ["Loaded", "Size", "Busy", "Keep-alive until"],
              running.map((model) => [
                h("code", null, model.id),
                formatBytes(model.sizeBytes),
                `${model.sequences.busy}/${model.sequences.total}`,
                model.expiresAt === null ? "forever" : new Date(model.expiresAt).toLocaleTimeString(),
              ]),
            ),
      ),
      stats === undefined
        ? null
        : card(
            "Caption queue",
            h(
              "div",
              { class: "stat-grid" },
              stat("Queued", formatNumber(stats.queued)),
              stat("Running", formatNumber(stats.running)),
              stat("Completed", formatNumber(stats.completed)),
              stat("Failed", formatNumber(stats.failed)),
            ),
            h(
              "p",
              { class: "muted" },
              `Capacity ${formatNumber(stats.capacity)} · ${formatNumber(stats.concurrency)} workers · ${formatNumber(stats.throughput)} jobs/s`,
            ),
            h("a", { href: "#/queue" }, "Open the queue"),
          ),
      systemCard,
    ),
  ];
}

/**
 * The /v1/system/metrics card: CPU, memory, GPU and request rates. A Station whose metrics
 * have another shape still gets its numbers listed, just without the layout.
 * @param {any} metrics
 */
function systemBody(metrics) {
  if (metrics?.cpu === undefined || metrics?.memory === undefined) return genericList(metrics);
  const { cpu, memory, gpu, requests } = metrics;
  return h(
    "dl",
    { class: "kv" },
    h("dt", null, "CPU"),
    h(
      "dd",
      null,
      `${formatNumber(cpu.systemPercent)}% system · ${formatNumber(cpu.processPercent)}% Station`,
      h("span", { class: "muted small" }, ` · ${formatNumber(cpu.cores)} cores, load ${formatNumber(cpu.loadAverage?.["1m"])}`),
    ),
    h("dt", null, "Memory"),
    h(
      "dd",
      null,
      meter(memory.usedBytes, memory.totalBytes, "Memory in use"),
      `${formatBytes(memory.usedBytes)} of ${formatBytes(memory.totalBytes)}`,
      h("span", { class: "muted small" }, ` · Station ${formatBytes(memory.process?.rssBytes)}`),
    ),
    h("dt", null, "GPU"),
    gpu
      ? h(
          "dd",
          null,
          meter(gpu.vram.usedBytes, gpu.vram.totalBytes, "GPU memory in use"),
          `${gpu.type} · ${gpu.devices.join(", ")} · ${formatBytes(gpu.vram.usedBytes)} of ${formatBytes(gpu.vram.totalBytes)} VRAM`,
        )
      : h("dd", { class: "muted small" }, metrics.gpuDetail ?? "None reported"),
    requests === undefined
      ? null
      : [
          h("dt", null, "Requests"),
          h("dd", null, `${formatNumber(requests.perSecond)}/s · ${formatNumber(requests.lastMinute)} in the last minute`),
        ],
    metrics.host === undefined
      ? null
      : [h("dt", null, "Host"), h("dd", null, `${metrics.host.platform} ${metrics.host.arch} · Node ${metrics.host.nodeVersion}`)],
  );
}

/**
 * @param {number} value
 * @param {number} max
 * @param {string} label
 */
function meter(value, max, label) {
  return h("meter", { min: 0, max: Math.max(1, max), value, high: max * 0.9, "aria-label": label, class: "meter" });
}

/** @param {unknown} metrics */
function genericList(metrics) {
  /** @type {[string, string][]} */
  const rows = [];
  /** @param {unknown} value @param {string} path @param {number} depth */
  const walk = (value, path, depth) => {
    if (rows.length >= 16) return;
    if (typeof value === "number") rows.push([path, /bytes/i.test(path) ? formatBytes(value) : formatNumber(value)]);
    else if (typeof value === "string" && value.length < 60) rows.push([path, value]);
    else if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 3) {
      for (const [key, child] of Object.entries(value)) walk(child, path === "" ? key : `${path} · ${key}`, depth + 1);
    }
  };
  walk(metrics, "", 0);
  if (rows.length === 0) return h("p", { class: "muted" }, "No metrics reported.");
  return h(
    "dl",
    { class: "kv" },
    rows.map(([key, value]) => [h("dt", null, key.replaceAll("_", " ")), h("dd", null, value)]),
  );
}
