import { api } from "../api.js";
import { badge, field, h, replace, stat, viewHeader } from "../dom.js";
import { formatDuration, formatNumber, formatTime, toDate } from "../format.js";
import { createImagePicker } from "../image-picker.js";
import { showError } from "../notices.js";
import { poll } from "../poll.js";

const jobsStorage = "station.captionJobs";
const finished = new Set(["completed", "failed", "cancelled"]);

/**
 * The durable caption queue: live stats (/caption/stats), submitting a job (/caption/generate)
 * and watching it run to completion (/caption/job/{id}), cancelling one (DELETE).
 */
export const queueView = {
  title: "Queue",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** @type {Map<string, any>} job id → last view of the job */
    const jobs = new Map(readJobIds().map((id) => [id, { job_id: id, status: "queued" }]));

    const stats = h("div", { class: "stat-grid", "aria-busy": "true" });
    const capacityBar = h("progress", { id: "queue-capacity", max: 1, value: 0 });
    const capacityText = h("span", { class: "muted small" });
    const jobList = h("ol", { class: "job-list", "aria-live": "polite" });
    const picker = createImagePicker({ id: "queue-image", label: "Choose an image", signal, onChange: () => {} });
    const prompt = h("input", { id: "queue-prompt", type: "text", placeholder: "Default caption prompt", autocomplete: "off" });
    const model = /** @type {HTMLSelectElement} */ (h("select", { id: "queue-model" }, h("option", { value: "" }, "Default vision model")));
    const webhook = h("input", {
      id: "queue-webhook",
      type: "url",
      placeholder: "https://example.com/hooks/captions",
      autocomplete: "off",
    });
    const submit = h("button", { type: "submit", class: "button primary" }, "Queue caption job");
    const form = h(
      "form",
      { class: "queue-form", "aria-label": "Submit a caption job" },
      picker.element,
      field("Prompt", prompt),
      field("Model", model),
      field("Webhook URL", webhook, "Optional. Station POSTs the signed result here when the job finishes."),
      h("div", { class: "form-actions" }, submit),
    );

    container.append(
      viewHeader("Queue", "The durable caption job queue: jobs survive restarts, finished jobs can notify a webhook."),
      h(
        "section",
        { class: "card" },
        h("h2", null, "Now"),
        stats,
        h("div", { class: "capacity" }, h("label", { for: "queue-capacity" }, "Capacity in use"), capacityBar, capacityText),
      ),
      h(
        "div",
        { class: "grid" },
        h("section", { class: "card" }, h("h2", null, "Submit a job"), form),
        h("section", { class: "card" }, h("h2", null, "Your jobs"), jobList),
      ),
    );

    /** @param {AbortSignal} abortSignal */
    const loadStats = async (abortSignal) => {
      try {
        const data = await api("/caption/stats", { signal: abortSignal });
        stats.removeAttribute("aria-busy");
        replace(
          stats,
          stat("Queued", formatNumber(data.queued)),
          stat("Running", formatNumber(data.running)),
          stat("Completed", formatNumber(data.completed)),
          stat("Failed", formatNumber(data.failed)),
          stat("Cancelled", formatNumber(data.cancelled)),
          stat("Workers", formatNumber(data.concurrency)),
          stat("Throughput", `${formatNumber(data.throughput)} jobs/s`),
          stat("Latency p50 / p95", `${formatDuration(data.latency_ms?.p50)} / ${formatDuration(data.latency_ms?.p95)}`),
          stat("Webhooks delivered", formatNumber(data.webhooks?.delivered)),
          stat("Webhooks failed", formatNumber(data.webhooks?.failed)),
        );
        const used = data.queued + data.running;
        /** @type {HTMLProgressElement} */ (capacityBar).max = Math.max(1, data.capacity);
        /** @type {HTMLProgressElement} */ (capacityBar).value = used;
        capacityText.textContent = `${formatNumber(used)} of ${formatNumber(data.capacity)}`;
      } catch (error) {
        showError(error, "Loading queue stats");
      }
    };

    /** @param {AbortSignal} abortSignal */
    const loadJobs = async (abortSignal) => {
      const open = [...jobs.values()].filter((job) => !finished.has(job.status) || job.created_at === undefined);
      await Promise.all(
        open.map(async (job) => {
          try {
            jobs.set(job.job_id, await api(`/caption/job/${encodeURIComponent(job.job_id)}`, { signal: abortSignal }));
          } catch (error) {
            // Finished jobs are deleted after queue.retentionMs: forget them quietly; say anything else.
            if (/** @type {{status?: number}} */ (error).status === 404) jobs.delete(job.job_id);
            else showError(error, `Checking job ${job.job_id}`);
          }
        }),
      );
      renderJobs();
    };

    let shownJobs = "";
    const renderJobs = () => {
      // Re-render only on a change, so focus (a Cancel button) survives the 1 s poll.
      const signature = JSON.stringify([...jobs.values()]);
      if (signature === shownJobs) return;
      shownJobs = signature;
      writeJobIds([...jobs.keys()]);
      replace(
        jobList,
        jobs.size === 0 ? h("li", { class: "muted" }, "No jobs submitted from this browser yet.") : null,
        [...jobs.values()].reverse().map((job) => jobItem(job)),
      );
    };

    /** @param {any} job */
    const jobItem = (job) => {
      const started = toDate(job.started_at);
      const ended = toDate(job.finished_at);
      return h(
        "li",
        { class: "job", dataset: { jobId: job.job_id } },
        h("div", { class: "job-header" }, h("code", null, job.job_id), badge(job.status)),
        job.result ? h("p", { class: "job-caption" }, job.result.caption) : null,
        job.error ? h("p", { class: "message-error" }, `${job.error.code}: ${job.error.message}`) : null,
        h(
          "p",
          { class: "muted small" },
          [
            job.created_at ? `submitted ${formatTime(job.created_at)}` : null,
            started && ended ? `ran ${formatDuration(ended.getTime() - started.getTime())}` : null,
            job.attempts > 1 ? `${job.attempts} attempts` : null,
            job.result?.model,
            job.webhook
              ? `webhook: ${job.webhook.attempts.filter((/** @type {any} */ attempt) => attempt.ok).length > 0 ? "delivered" : `${job.webhook.attempts.length} attempts`}`
              : null,
          ]
            .filter(Boolean)
            .join(" · "),
        ),
        finished.has(job.status)
          ? null
          : h("button", { type: "button", class: "button small", onclick: () => void cancel(job.job_id) }, "Cancel"),
      );
    };

    /** @param {string} jobId */
    const cancel = async (jobId) => {
      try {
        jobs.set(jobId, await api(`/caption/job/${encodeURIComponent(jobId)}`, { method: "DELETE", signal }));
        renderJobs();
      } catch (error) {
        showError(error, "Cancelling the job");
      }
    };

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const picked = picker.image;
      if (picked === undefined) {
        showError(new Error("Choose an image first"), "Queue");
        return;
      }
      const text = /** @type {HTMLInputElement} */ (prompt).value.trim();
      const hook = /** @type {HTMLInputElement} */ (webhook).value.trim();
      /** @type {HTMLButtonElement} */ (submit).disabled = true;
      try {
        const job = await api("/caption/generate", {
          body: {
            image_data: picked.dataUrl,
            ...(text === "" ? {} : { prompt: text }),
            ...(model.value === "" ? {} : { model: model.value }),
            ...(hook === "" ? {} : { webhook_url: hook }),
          },
          signal,
        });
        jobs.set(job.job_id, job);
        renderJobs();
        await loadStats(signal);
      } catch (error) {
        showError(error, "Queueing the job");
      } finally {
        /** @type {HTMLButtonElement} */ (submit).disabled = false;
      }
    });

    const loadModels = async () => {
      try {
        const { models } = await api("/api/models", { signal });
        for (const entry of models) {
          if (entry.capabilities.includes("vision") || entry.capabilities.includes("ocr"))
            model.append(h("option", { value: entry.id }, entry.id));
        }
      } catch (error) {
        showError(error, "Loading vision models");
      }
    };

    renderJobs();
    void loadModels();
    poll(loadStats, 2000, signal);
    poll(loadJobs, 1000, signal);
  },
};

/** @returns {string[]} */
function readJobIds() {
  try {
    const ids = JSON.parse(localStorage.getItem(jobsStorage) ?? "[]");
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** @param {string[]} ids the newest 20 are kept */
function writeJobIds(ids) {
  try {
    localStorage.setItem(jobsStorage, JSON.stringify(ids.slice(-20)));
  } catch {
    // No storage: the list lasts as long as the page.
  }
}
