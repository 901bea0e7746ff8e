import { h } from "../dom.js";
import { assistantTurn } from "./chat-transcript.js";

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
