import { badge, h } from "../dom.js";
import { formatDuration, formatNumber } from "../format.js";
import { renderMarkdown } from "../markdown.js";

/**
 * The pieces of a conversation on screen: user messages, and assistant turns made of text
 * segments and tool-call cards in the order they happened (text, tool calls, their results,
 * more text). Used both for a live stream and for a stored session.
 */

/**
 * @param {string} text
 * @param {{name: string}[]} [attachments]
 */
export function userMessage(text, attachments = []) {
  return h(
    "article",
    { class: "message message-user", "aria-label": "You" },
    h("div", { class: "message-body" }, renderMarkdown(text)),
    attachments.length === 0
      ? null
      : h(
          "ul",
          { class: "chips", "aria-label": "Attachments" },
          attachments.map((attachment) => h("li", { class: "chip" }, attachment.name)),
        ),
  );
}

/**
 * An assistant turn that fills in as events arrive.
 * @param {string} [model]
 */
export function assistantTurn(model) {
  const body = h("div", { class: "message-body" });
  const meta = h("p", { class: "message-meta" }, model ? h("span", null, model) : null);
  const element = h("article", { class: "message message-assistant", "aria-label": "Assistant" }, body, meta);
  /** @type {Map<string, ReturnType<typeof toolCard>>} */
  const tools = new Map();
  /** @type {{element: HTMLElement, text: string} | undefined} */
  let segment;
  let scheduled = false;

  // Markdown is re-rendered at most once a frame however fast the deltas come.
  const render = () => {
    scheduled = false;
    if (segment !== undefined) segment.element.replaceChildren(...renderMarkdown(segment.text));
  };

  return {
    element,
    /** @param {string} text */
    appendText(text) {
      if (segment === undefined) {
        segment = { element: h("div", { class: "message-text" }), text: "" };
        body.append(segment.element);
      }
      segment.text += text;
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(render);
      }
    },
    /** @param {{id: string, name: string, arguments: unknown}} call */
    startTool(call) {
      render();
      segment = undefined;
      const card = toolCard(call.name, call.arguments);
      tools.set(call.id, card);
      body.append(card.element);
    },
    /** @param {{id: string, content: string, truncated?: boolean, duration_ms?: number}} result */
    toolResult(result) {
      tools.get(result.id)?.succeed(result.content, result.duration_ms, result.truncated === true);
    },
    /** @param {{id: string, code: string, message: string, duration_ms?: number}} failure */
    toolError(failure) {
      tools.get(failure.id)?.fail(`${failure.code}: ${failure.message}`, failure.duration_ms);
    },
    /** @param {{finish_reason?: string, usage?: {prompt_tokens: number, completion_tokens: number}, cost_usd?: number | null, model?: string}} done */
    finish(done) {
      render();
      const parts = [];
      if (done.model) parts.push(done.model);
      if (done.usage) parts.push(`${formatNumber(done.usage.prompt_tokens)} in · ${formatNumber(done.usage.completion_tokens)} out`);
      if (typeof done.cost_usd === "number" && done.cost_usd > 0) parts.push(`$${done.cost_usd.toFixed(5)}`);
      if (done.finish_reason && done.finish_reason !== "stop") parts.push(done.finish_reason);
      meta.replaceChildren(parts.join(" · "));
      for (const card of tools.values()) card.settle();
    },
    /** @param {string} message */
    fail(message) {
      render();
      body.append(h("p", { class: "message-error", role: "alert" }, message));
      for (const card of tools.values()) card.settle();
    },
    stopped() {
      render();
      meta.append(h("span", { class: "message-stopped" }, " · stopped"));
      for (const card of tools.values()) card.settle();
    },
    get text() {
      return segment?.text ?? "";
    },
  };
}

/**
 * @param {string} name the tool as the model sees it: "<server>__<tool>"
 * @param {unknown} args
 */
function toolCard(name, args) {
  const state = h("span", { class: "tool-state" }, badge("running", "running…"));
  const result = h("div", { class: "tool-result" });
  const element = h(
    "details",
    { class: "tool-call" },
    h("summary", null, h("span", { class: "tool-icon", "aria-hidden": "true" }, "⚙"), h("code", null, name), state),
    h("p", { class: "tool-label" }, "Arguments"),
    h("pre", { class: "code" }, h("code", null, pretty(args))),
    result,
  );
  let settled = false;
  return {
    element,
    /** @param {string} content @param {number | undefined} durationMs @param {boolean} truncated */
    succeed(content, durationMs, truncated) {
      settled = true;
      state.replaceChildren(badge("ok", durationMs === undefined ? "done" : `done in ${formatDuration(durationMs)}`));
      result.replaceChildren(
        h("p", { class: "tool-label" }, truncated ? "Result (truncated)" : "Result"),
        h("pre", { class: "code" }, h("code", null, pretty(content))),
      );
    },
    /** @param {string} message @param {number | undefined} durationMs */
    fail(message, durationMs) {
      settled = true;
      state.replaceChildren(badge("failed", durationMs === undefined ? "failed" : `failed after ${formatDuration(durationMs)}`));
      result.replaceChildren(h("p", { class: "tool-label" }, "Error"), h("pre", { class: "code" }, h("code", null, message)));
      element.open = true;
    },
    /** The turn ended: a call still "running" never got its result. */
    settle() {
      if (!settled) state.replaceChildren(badge("cancelled", "no result"));
    },
  };
}

/** @param {unknown} value */
function pretty(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? "";
}

/**
 * A stored session's messages as on-screen turns: each user message, then one assistant turn
 * holding every assistant message and tool result up to the next user message.
 * @param {any[]} messages
 * @param {(uploadId: string) => string} [attachmentName]
 */
export function renderStoredMessages(messages, attachmentName = (id) => id.slice(0, 12)) {
  /** @type {HTMLElement[]} */
  const elements = [];
  /** @type {ReturnType<typeof assistantTurn> | undefined} */
  let turn;
  for (const message of messages) {
    if (message.role === "user") {
      turn?.finish({});
      turn = undefined;
      const attachments = (message.attachments ?? []).map((/** @type {any} */ attachment) => ({
        name: attachment.filename ?? attachmentName(attachment.upload_id),
      }));
      elements.push(userMessage(message.content, attachments));
    } else if (message.role === "assistant") {
      if (turn === undefined) {
        turn = assistantTurn();
        elements.push(turn.element);
      }
      if (message.content) turn.appendText(message.content);
      for (const call of message.tool_calls ?? []) turn.startTool({ id: call.id, name: call.name, arguments: call.arguments });
    } else if (message.role === "tool" && turn !== undefined) {
      const metadata = message.metadata ?? {};
      const timing = typeof metadata.duration_ms === "number" ? { duration_ms: metadata.duration_ms } : {};
      if (metadata.is_error === true) {
        turn.toolError({
          id: message.tool_call_id,
          code: String(metadata.error_code ?? "tool_error"),
          message: message.content,
          ...timing,
        });
      } else {
        turn.toolResult({ id: message.tool_call_id, content: message.content, truncated: metadata.truncated === true, ...timing });
      }
    }
  }
  turn?.finish({});
  return elements;
}
