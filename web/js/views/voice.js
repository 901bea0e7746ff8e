import { ApiError } from "../api.js";
import { loadChatModelOptions } from "../chat-model-options.js";
import { field, h, replace, viewHeader } from "../dom.js";
import { readSetting, writeSetting } from "../local-setting.js";
import { showError } from "../notices.js";
import { holdToTalk } from "../voice/hold-to-talk.js";
import { microphoneUnavailableReason, openMicrophone } from "../voice/microphone.js";
import { createPcmPlayer } from "../voice/pcm-player.js";
import { bytesToBase64 } from "../voice/pcm16.js";
import { openRealtimeSocket } from "../voice/realtime-socket.js";
import { chatClientId } from "./chat.js";
import { createVoiceConversation } from "./voice-transcript.js";

const modelStorage = "station.voiceModel";
const savedNote = " · saved in Chat history";
const handsFreeStorage = "station.voiceHandsFree";
/** Station refuses to commit less than 100 ms of 24 kHz PCM16. */
const minTurnBytes = 4_800;
const bytesPerSecond = 48_000;

/**
 * Talk to an agent through /v1/realtime in OpenAI's Realtime protocol, the pipeline every
 * realtime client uses: the microphone streams PCM16 at 24 kHz, Station transcribes each turn
 * (press to talk: the turn is what was said while the button was held; hands-free: Station's
 * voice-activity detection finds it), the chat model answers with MCP tools run server-side,
 * and the reply comes back as text and speech, played as it arrives.
 */
export const voiceView = {
  title: "Voice",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** @type {import("../voice/realtime-socket.js").RealtimeSocket | undefined} */
    let socket;
    /** @type {AudioContext | undefined} */
    let context;
    /** @type {import("../voice/microphone.js").Microphone | undefined} */
    let microphone;
    /** @type {ReturnType<typeof createPcmPlayer> | undefined} */
    let player;
    let ready = false;
    let talking = false;
    let turnBytes = 0;
    /** @type {string | undefined} */
    let activeResponse;
    // One response at a time: from response.create (or the server's own, hands-free) to its response.done.
    let responseBusy = false;
    let responseWanted = false;
    /** @type {string | undefined} */
    let sessionModel;
    const conversation = createVoiceConversation();

    const modelList = h("datalist", { id: "voice-model-options" });
    const modelInput = /** @type {HTMLInputElement} */ (
      h("input", {
        id: "voice-model",
        type: "text",
        list: "voice-model-options",
        placeholder: "Station's default chat model",
        autocomplete: "off",
        spellcheck: false,
        value: readSetting(modelStorage),
      })
    );
    const handsFree = /** @type {HTMLInputElement} */ (
      h("input", { id: "voice-hands-free", type: "checkbox", checked: readSetting(handsFreeStorage) === "true" })
    );
    const startButton = h("button", { type: "button", class: "button primary", onclick: () => void start() }, "Start");
    const endButton = h("button", { type: "button", class: "button", hidden: true, onclick: () => end() }, "End");
    const status = h("p", { id: "voice-status", class: "voice-status", role: "status" }, "Not connected.");
    const session = h("p", { class: "muted small", id: "voice-session" });
    const level = /** @type {HTMLProgressElement} */ (
      h("progress", { class: "voice-level", max: 1, value: 0, "aria-label": "Microphone level" })
    );
    const talkButton = h(
      "button",
      {
        type: "button",
        id: "voice-talk",
        class: "button primary talk-button",
        disabled: true,
        "aria-pressed": "false",
        dataset: { capturedMs: "0" },
      },
      "Hold to talk",
    );
    const micNote = h("div", { class: "callout", role: "note", id: "voice-mic-note", hidden: true });
    const textInput = /** @type {HTMLInputElement} */ (
      h("input", { id: "voice-text", type: "text", placeholder: "Or type a message…", autocomplete: "off", disabled: true })
    );
    const textForm = h(
      "form",
      { class: "voice-text-form", "aria-label": "Type instead" },
      h("label", { for: "voice-text", class: "visually-hidden" }, "Message"),
      textInput,
      h("button", { type: "submit", class: "button" }, "Send"),
    );

    container.append(
      viewHeader(
        "Voice",
        "Talk to a chat model: Station transcribes you, the model answers (MCP tools run on the server) and the reply is spoken.",
        startButton,
        endButton,
      ),
      micNote,
      h(
        "section",
        { class: "conversation voice", "aria-label": "Voice conversation" },
        h(
          "div",
          { class: "chat-toolbar voice-toolbar" },
          field("Model", modelInput),
          modelList,
          h("label", { class: "check" }, handsFree, " Hands-free (Station detects when you speak)"),
        ),
        conversation.element,
        h("div", { class: "voice-controls" }, talkButton, h("div", { class: "voice-state" }, status, level, session)),
        h("div", { class: "composer" }, textForm),
      ),
    );

    const unavailable = microphoneUnavailableReason();
    if (unavailable !== undefined) {
      replace(micNote, h("strong", null, "No microphone here. "), unavailable, " You can still type and hear the replies.");
      micNote.hidden = false;
    }

    /** @param {string} text */
    const setStatus = (text) => {
      status.textContent = text;
    };
    const idleStatus = () =>
      setStatus(
        microphone === undefined
          ? "Connected: type a message."
          : handsFree.checked
            ? "Listening: just talk."
            : "Hold the button (or Space) and talk.",
      );
    /** @param {unknown} error @param {string} code @param {string} message */
    const voiceError = (error, code, message) =>
      showError(new ApiError(0, code, `${message}${error instanceof Error ? ` (${error.message})` : ""}`), "Voice");

    const turnDetection = () => (handsFree.checked ? { type: "server_vad" } : null);

    const start = async () => {
      if (socket !== undefined) return;
      startButton.disabled = true;
      const model = modelInput.value.trim();
      writeSetting(modelStorage, model);
      // Created inside the click, so the browser lets it play; 24 kHz is the protocol's rate.
      try {
        context = new AudioContext({ sampleRate: 24_000 });
      } catch {
        context = new AudioContext();
      }
      player = createPcmPlayer(context);
      if (unavailable === undefined) {
        try {
          microphone = await openMicrophone(context, onFrame);
        } catch (error) {
          voiceError(error, "microphone_unavailable", "The microphone could not be opened; you can still type");
        }
      }
      if (signal.aborted) return end();
      setStatus("Connecting…");
      // Each voice session is a conversation of its own in the Chat view's history.
      socket = openRealtimeSocket({ model, clientId: chatClientId, sessionId: "new", onEvent, onClose });
      startButton.hidden = true;
      endButton.hidden = false;
    };

    const end = () => {
      const open = socket;
      socket = undefined;
      ready = false;
      talking = false;
      activeResponse = undefined;
      responseBusy = false;
      responseWanted = false;
      open?.close();
      microphone?.close();
      microphone = undefined;
      player?.stop();
      player = undefined;
      void context?.close().catch(() => {});
      context = undefined;
      level.value = 0;
      talkButton.disabled = true;
      talkButton.setAttribute("aria-pressed", "false");
      textInput.disabled = true;
      startButton.hidden = false;
      startButton.disabled = false;
      endButton.hidden = true;
      setStatus("Not connected.");
    };
    signal.addEventListener("abort", end);

    /** @param {{pcm: ArrayBuffer, peak: number}} frame */
    function onFrame(frame) {
      level.value = frame.peak;
      if (socket === undefined || !ready || !(talking || handsFree.checked)) return;
      socket.send({ type: "input_audio_buffer.append", audio: bytesToBase64(frame.pcm) });
      if (talking) {
        turnBytes += frame.pcm.byteLength;
        const seconds = turnBytes / bytesPerSecond;
        talkButton.dataset.capturedMs = String(Math.round(seconds * 1000));
        setStatus(`Listening… ${seconds.toFixed(1)} s (release to send)`);
      }
    }

    /** @param {CloseEvent} event @param {boolean} opened */
    function onClose(event, opened) {
      if (socket === undefined) return;
      end();
      if (!opened)
        voiceError(
          undefined,
          "realtime_unavailable",
          "Could not open /v1/realtime: the API key is missing or refused, or Station has as many realtime sessions as it allows",
        );
      else if (event.code !== 1000)
        voiceError(undefined, `closed_${event.code}`, `The voice session ended${event.reason ? `: ${event.reason}` : ""}`);
    }

    /** The user talks over the agent: stop its reply, here and on the server. */
    const interrupt = () => {
      player?.stop();
      if (activeResponse !== undefined) socket?.send({ type: "response.cancel" });
    };
    /** Asks for a response now, or once the one still running (or being cancelled) is done. */
    const requestResponse = () => {
      if (responseBusy) {
        responseWanted = true;
        return;
      }
      responseBusy = true;
      socket?.send({ type: "response.create" });
    };

    const pressTalk = () => {
      if (!ready || talking || handsFree.checked || microphone === undefined) return;
      interrupt();
      socket?.send({ type: "input_audio_buffer.clear" });
      talking = true;
      turnBytes = 0;
      talkButton.dataset.capturedMs = "0";
      talkButton.setAttribute("aria-pressed", "true");
      talkButton.textContent = "Release to send";
      setStatus("Listening…");
    };
    const releaseTalk = () => {
      if (!talking) return;
      talking = false;
      talkButton.setAttribute("aria-pressed", "false");
      talkButton.textContent = "Hold to talk";
      if (turnBytes < minTurnBytes) {
        socket?.send({ type: "input_audio_buffer.clear" });
        setStatus("Too short: hold the button while you speak.");
        return;
      }
      socket?.send({ type: "input_audio_buffer.commit" });
      requestResponse();
      setStatus("Transcribing…");
    };
    holdToTalk(talkButton, { press: pressTalk, release: releaseTalk });

    handsFree.addEventListener("change", () => {
      writeSetting(handsFreeStorage, handsFree.checked ? "true" : "");
      releaseTalk();
      talkButton.hidden = handsFree.checked;
      if (ready) {
        socket?.send({ type: "input_audio_buffer.clear" });
        socket?.send({ type: "session.update", session: { type: "realtime", audio: { input: { turn_detection: turnDetection() } } } });
        idleStatus();
      }
    });
    talkButton.hidden = handsFree.checked;

    textForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = textInput.value.trim();
      if (text === "" || !ready) return;
      interrupt();
      conversation.typed(text);
      socket?.send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text }] } });
      requestResponse();
      textInput.value = "";
    });

    /** @param {any} event */
    function onEvent(event) {
      conversation.render(event, sessionModel);
      switch (event.type) {
        case "session.created": {
          ready = true;
          sessionModel = event.session.model || undefined;
          socket?.send({ type: "session.update", session: { type: "realtime", audio: { input: { turn_detection: turnDetection() } } } });
          const spoken = event.session.output_modalities.includes("audio");
          const stt = event.session.audio?.input?.transcription?.model;
          session.textContent = [
            `Model ${sessionModel ?? "(Station's default)"}`,
            stt ? `speech to text ${stt}` : "no speech-to-text model",
            spoken ? "spoken replies" : "no text-to-speech model: replies are written only",
          ].join(" · ");
          talkButton.disabled = microphone === undefined;
          textInput.disabled = false;
          idleStatus();
          conversation.greet();
          return;
        }
        case "input_audio_buffer.speech_started":
          // Hands-free barge-in: Station cancels the response; the queued audio stops here.
          player?.stop();
          setStatus("Hearing you…");
          return;
        case "input_audio_buffer.committed":
          setStatus("Transcribing…");
          return;
        case "response.created":
          activeResponse = event.response.id;
          responseBusy = true;
          setStatus("Thinking…");
          return;
        case "response.output_audio.delta": {
          const reply = conversation.reply(event.response_id);
          if (player === undefined || reply === undefined || event.response_id !== activeResponse) return;
          const seconds = player.play(event.delta, (played) => reply.audioPlayed(played));
          reply.audioReceived(seconds, Math.round(seconds * bytesPerSecond));
          setStatus("Speaking…");
          return;
        }
        case "response.done":
          if (activeResponse === event.response.id) activeResponse = undefined;
          responseBusy = false;
          if (responseWanted) {
            responseWanted = false;
            requestResponse();
          }
          if (!talking) idleStatus();
          return;
        case "station.conversation.stored":
          session.dataset.chatSession = String(event.chat_session_id);
          if (!session.textContent?.endsWith(savedNote)) session.textContent = `${session.textContent ?? ""}${savedNote}`;
          return;
        case "error":
          showError(new ApiError(0, String(event.error?.code ?? "realtime_error"), String(event.error?.message ?? "")), "Voice");
          return;
      }
    }

    void loadChatModelOptions(modelList, signal);
  },
};
