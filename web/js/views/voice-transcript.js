import { h } from "../dom.js";
import { assistantTurn, userMessage } from "./chat-transcript.js";

/**
 * The Voice view's conversation: what the user said (its transcript fills in once the speech
 * model has it) and the agent's replies, which are Chat's assistant turns (text, tool-call
 * cards) plus a line saying how much of the spoken reply arrived and has played.
 */

export function spokenUserTurn() {
  const text = h("span", { class: "muted" }, "Transcribing…");
  const element = h(
    "article",
    { class: "message message-user", "aria-label": "You", dataset: { state: "transcribing" } },
    h("div", { class: "message-body" }, h("p", { class: "message-transcript" }, text)),
  );
  return {
    element,
    /** @param {string} transcript */
    complete(transcript) {
      element.dataset.state = "transcribed";
      text.className = "";
      text.textContent = transcript === "" ? "(nothing heard)" : transcript;
    },
    /** @param {string} message */
    fail(message) {
      element.dataset.state = "failed";
      text.className = "message-error";
      text.textContent = `Not transcribed: ${message}`;
    },
  };
}

/** @param {string} [model] */
export function spokenReply(model) {
  const turn = assistantTurn(model);
  const audio = h("p", { class: "message-audio", hidden: true, "aria-live": "off" });
  turn.element.append(audio);
  let bytes = 0;
  let receivedSeconds = 0;
  let playedSeconds = 0;
  const show = () => {
    audio.hidden = false;
    audio.dataset.bytes = String(bytes);
    audio.dataset.playedMs = String(Math.round(playedSeconds * 1000));
    audio.textContent = `Spoken reply: ${playedSeconds.toFixed(1)} of ${receivedSeconds.toFixed(1)} s played`;
  };
  return {
    element: turn.element,
    appendText: turn.appendText,
    startTool: turn.startTool,
    toolResult: turn.toolResult,
    toolError: turn.toolError,
    finish: turn.finish,
    fail: turn.fail,
    stopped: turn.stopped,
    /** @param {number} seconds @param {number} byteCount */
    audioReceived(seconds, byteCount) {
      receivedSeconds += seconds;
      bytes += byteCount;
      show();
    },
    /** @param {number} seconds */
    audioPlayed(seconds) {
      playedSeconds += seconds;
      show();
    },
  };
}

/**
 * The conversation of one Voice view, drawn from the realtime events that change it: a spoken
 * turn appears when it is committed and fills in with its transcript, each response becomes a
 * reply (text deltas, MCP tool calls with their results, how it ended). Audio is the caller's:
 * `reply(id)` gives the reply its chunks belong to.
 */
export function createVoiceConversation() {
  const element = h("div", { class: "transcript", role: "log", "aria-label": "Voice conversation", "aria-live": "polite" });
  /** @type {Map<string, ReturnType<typeof spokenUserTurn>>} */
  const userTurns = new Map();
  /** @type {Map<string, ReturnType<typeof spokenReply>>} */
  const replies = new Map();

  const scrollToEnd = () => {
    element.scrollTop = element.scrollHeight;
  };
  /** @param {HTMLElement} child */
  const add = (child) => {
    element.querySelector(".empty-state")?.remove();
    element.append(child);
    scrollToEnd();
  };
  /** @param {string} itemId */
  const userTurn = (itemId) => {
    let turn = userTurns.get(itemId);
    if (turn === undefined) {
      turn = spokenUserTurn();
      userTurns.set(itemId, turn);
      add(turn.element);
    }
    return turn;
  };

  return {
    element,
    /** A note for an empty conversation. */
    greet() {
      if (element.childElementCount === 0)
        element.append(h("div", { class: "empty-state" }, h("p", null, "Say something. Each tool the model calls shows here as in Chat.")));
    },
    /** @param {string} text a message the user typed */
    typed(text) {
      add(userMessage(text));
    },
    /** @param {string} responseId */
    reply(responseId) {
      return replies.get(responseId);
    },
    /**
     * @param {any} event a server event of OpenAI's Realtime protocol
     * @param {string | undefined} model the session's chat model, shown under each reply
     */
    render(event, model) {
      switch (event.type) {
        case "input_audio_buffer.committed":
          userTurn(event.item_id);
          return;
        case "conversation.item.input_audio_transcription.completed":
          userTurn(event.item_id).complete(String(event.transcript ?? ""));
          return;
        case "conversation.item.input_audio_transcription.failed":
          userTurn(event.item_id).fail(event.error?.message ?? "transcription failed");
          return;
        case "response.created": {
          const reply = spokenReply(model);
          replies.set(event.response.id, reply);
          add(reply.element);
          return;
        }
        case "response.output_text.delta":
        case "response.output_audio_transcript.delta":
          replies.get(event.response_id)?.appendText(event.delta);
          scrollToEnd();
          return;
        case "response.output_item.added":
          if (event.item?.type === "mcp_call" || event.item?.type === "function_call") {
            replies.get(event.response_id)?.startTool({ id: event.item.id, name: event.item.name, arguments: event.item.arguments ?? "" });
            scrollToEnd();
          }
          return;
        case "response.output_item.done": {
          const reply = replies.get(event.response_id);
          const item = event.item;
          if (reply === undefined || item?.type !== "mcp_call") return;
          if (item.error)
            reply.toolError({ id: item.id, code: String(item.error.type ?? "tool_error"), message: String(item.error.message ?? "") });
          else reply.toolResult({ id: item.id, content: String(item.output ?? "") });
          return;
        }
        case "response.done": {
          const response = event.response;
          const reply = replies.get(response.id);
          if (response.status === "completed") {
            const usage = response.usage;
            reply?.finish({
              model,
              ...(usage ? { usage: { prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens } } : {}),
            });
          } else if (response.status === "cancelled") {
            reply?.stopped();
          } else {
            const error = response.status_details?.error;
            reply?.fail(error ? `${error.code}: ${error.message}` : `The reply ${response.status}.`);
          }
          return;
        }
      }
    },
  };
}
