import { ApiError, api, isAbortError } from "../api.js";
import { loadChatModelOptions } from "../chat-model-options.js";
import { field, h, replace, viewHeader } from "../dom.js";
import { readSetting, writeSetting } from "../local-setting.js";
import { showError } from "../notices.js";
import { readEvents } from "../sse.js";
import { createSessionList } from "./chat-sessions.js";
import { assistantTurn, renderStoredMessages, userMessage } from "./chat-transcript.js";

/** The conversations this UI starts belong to this chat client (its settings, presets, sessions). */
export const chatClientId = "web-ui";
const modelStorage = "station.chatModel";
const sessionStorageName = "station.chatSession";

/**
 * Chat through Station's chat application API: POST /api/chat/stream runs the MCP tool loop on
 * the server and streams text, tool calls and results as SSE; every turn is stored in a session.
 */
export const chatView = {
  title: "Chat",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** @type {string | undefined} */
    let sessionId = readSetting(sessionStorageName) || undefined;
    /** @type {AbortController | undefined} */
    let running;
    /** @type {{id: string, name: string}[]} */
    let attachments = [];

    const modelList = h("datalist", { id: "chat-model-options" });
    const modelInput = h("input", {
      id: "chat-model",
      type: "text",
      list: "chat-model-options",
      placeholder: "Station's default chat model",
      autocomplete: "off",
      spellcheck: false,
      value: readSetting(modelStorage),
    });
    const sessions = createSessionList({
      clientId: chatClientId,
      signal,
      onOpen: (id) => void openSession(id),
      onDeleted: (id) => {
        if (id === sessionId) void openSession(undefined);
      },
    });
    const transcript = h("div", { class: "transcript", role: "log", "aria-label": "Conversation", "aria-live": "polite" });
    const input = /** @type {HTMLTextAreaElement} */ (
      h("textarea", { id: "chat-input", rows: 3, placeholder: "Message… (Enter to send, Shift+Enter for a new line)", required: true })
    );
    const attachmentList = h("ul", { class: "chips", "aria-label": "Attachments" });
    const fileInput = h("input", { type: "file", id: "chat-attach", class: "file-input", accept: "image/*,text/*,.md,.csv,.json,.pdf" });
    const sendButton = h("button", { type: "submit", class: "button primary" }, "Send");
    const stopButton = h("button", { type: "button", class: "button danger", disabled: true }, "Stop");
    const newButton = h("button", { type: "button", class: "button", onclick: () => openSession(undefined) }, "New chat");

    const composer = h(
      "form",
      { class: "composer", "aria-label": "Send a message" },
      h("label", { for: "chat-input", class: "visually-hidden" }, "Message"),
      input,
      attachmentList,
      h(
        "div",
        { class: "composer-actions" },
        fileInput,
        h("label", { for: "chat-attach", class: "button subtle", title: "Attach an image or a text file" }, "Attach"),
        h("span", { class: "spacer" }),
        stopButton,
        sendButton,
      ),
    );

    container.append(
      viewHeader("Chat", "Talk to any chat model. MCP tools run on the server; every conversation is kept.", newButton),
      h(
        "div",
        { class: "chat-layout" },
        h("nav", { class: "sessions", "aria-label": "Conversations" }, h("h2", null, "Conversations"), sessions.element),
        h(
          "section",
          { class: "conversation", "aria-label": "Current conversation" },
          h("div", { class: "chat-toolbar" }, field("Model", modelInput), modelList),
          transcript,
          composer,
        ),
      ),
    );

    const scrollToEnd = () => {
      transcript.scrollTop = transcript.scrollHeight;
    };
    const emptyState = () =>
      h(
        "div",
        { class: "empty-state" },
        h("p", null, "Start a conversation below."),
        h(
          "p",
          { class: "muted small" },
          "Tools from connected MCP servers are offered to the model; you will see each call and its result here.",
        ),
      );

    /** @param {boolean} busy */
    const setBusy = (busy) => {
      sendButton.disabled = busy;
      stopButton.disabled = !busy;
      transcript.setAttribute("aria-busy", String(busy));
    };

    /** @param {string | undefined} id */
    const openSession = async (id) => {
      running?.abort();
      sessionId = id;
      writeSetting(sessionStorageName, id ?? "");
      sessions.setCurrent(id);
      if (id === undefined) {
        replace(transcript, emptyState());
        input.focus();
        return void sessions.load();
      }
      try {
        const session = await api(`/api/chat/session/${encodeURIComponent(id)}`, { signal });
        replace(transcript, session.messages.length === 0 ? emptyState() : renderStoredMessages(session.messages));
        if (session.model && modelInput instanceof HTMLInputElement && modelInput.value === "") modelInput.value = session.model;
        scrollToEnd();
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          // The session was deleted elsewhere: start afresh rather than show a dead one.
          sessionId = undefined;
          writeSetting(sessionStorageName, "");
          sessions.setCurrent(undefined);
          replace(transcript, emptyState());
        } else {
          showError(error, "Opening the conversation");
        }
      }
      void sessions.load();
    };

    const renderAttachments = () => {
      replace(
        attachmentList,
        attachments.map((attachment) =>
          h(
            "li",
            { class: "chip" },
            attachment.name,
            h(
              "button",
              {
                type: "button",
                class: "icon-button",
                "aria-label": `Remove ${attachment.name}`,
                onclick: () => {
                  attachments = attachments.filter((other) => other !== attachment);
                  renderAttachments();
                },
              },
              "×",
            ),
          ),
        ),
      );
    };

    fileInput.addEventListener("change", async () => {
      const file = /** @type {HTMLInputElement} */ (fileInput).files?.[0];
      if (file === undefined) return;
      const form = new FormData();
      form.append("file", file, file.name);
      try {
        const upload = await api("/api/uploads", { body: form, signal });
        attachments.push({ id: upload.id, name: file.name });
        renderAttachments();
      } catch (error) {
        showError(error, `Uploading ${file.name}`);
      } finally {
        /** @type {HTMLInputElement} */ (fileInput).value = "";
      }
    });

    const send = async () => {
      const message = input.value.trim();
      if (message.length === 0 || running !== undefined) return;
      const model = /** @type {HTMLInputElement} */ (modelInput).value.trim();
      writeSetting(modelStorage, model);
      const sent = attachments;
      const body = {
        client_id: chatClientId,
        message,
        ...(sessionId === undefined ? {} : { session_id: sessionId }),
        ...(model === "" ? {} : { model }),
        ...(sent.length === 0 ? {} : { attachments: sent.map((attachment) => attachment.id) }),
      };
      transcript.querySelector(".empty-state")?.remove();
      const mine = userMessage(message, sent);
      const turn = assistantTurn();
      transcript.append(mine, turn.element);
      input.value = "";
      attachments = [];
      renderAttachments();
      scrollToEnd();

      const controller = new AbortController();
      running = controller;
      const leave = () => controller.abort();
      signal.addEventListener("abort", leave);
      setBusy(true);
      let streaming = false;
      let ended = false;
      try {
        const response = await api("/api/chat/stream", { body, signal: controller.signal, raw: true });
        streaming = true;
        for await (const { event, data } of readEvents(response)) {
          const payload = JSON.parse(data);
          if (event === "session") {
            const created = sessionId !== payload.session_id;
            sessionId = payload.session_id;
            writeSetting(sessionStorageName, payload.session_id);
            sessions.setCurrent(sessionId);
            turn.element.dataset.model = payload.model;
            if (created) void sessions.load();
          } else if (event === "message.delta") {
            turn.appendText(payload.content);
          } else if (event === "tool_call.started") {
            turn.startTool(payload);
          } else if (event === "tool_call.result") {
            turn.toolResult(payload);
          } else if (event === "tool_call.error") {
            turn.toolError(payload);
          } else if (event === "done") {
            ended = true;
            turn.finish({ ...payload, model: turn.element.dataset.model });
          } else if (event === "error") {
            ended = true;
            turn.fail(`${payload.code}: ${payload.message}`);
            showError(payload, "Chat");
          }
          scrollToEnd();
        }
        if (!ended) {
          turn.fail("The stream ended before the answer was complete.");
          showError(new ApiError(0, "stream_incomplete", "The chat stream ended before the answer was complete"), "Chat");
        }
      } catch (error) {
        if (isAbortError(error)) {
          turn.stopped();
        } else if (!streaming) {
          // Refused before anything started (unknown model, bad session...): nothing was stored,
          // so take the message back into the composer.
          mine.remove();
          turn.element.remove();
          input.value = message;
          attachments = sent;
          renderAttachments();
          showError(error, "Chat");
        } else {
          turn.fail(error instanceof Error ? error.message : String(error));
          showError(error, "Chat");
        }
      } finally {
        signal.removeEventListener("abort", leave);
        running = undefined;
        if (!signal.aborted) {
          setBusy(false);
          void sessions.load();
        }
      }
    };

    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      void send();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void send();
      }
    });
    stopButton.addEventListener("click", () => running?.abort());

    void loadChatModelOptions(modelList, signal);
    void openSession(sessionId);
  },
};
