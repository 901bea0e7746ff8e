import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatRelative } from "../format.js";
import { showError } from "../notices.js";

/**
 * The conversation list beside the chat: one chat client's sessions, newest activity first,
 * each opened with a click and deleted with its × (after a confirm).
 *
 * @param {{clientId: string, signal: AbortSignal, onOpen: (id: string) => void, onDeleted: (id: string) => void}} options
 */
export function createSessionList({ clientId, signal, onOpen, onDeleted }) {
  const list = h("ul", { class: "session-list" });
  /** @type {string | undefined} */
  let current;

  /** @param {any} session */
  const item = (session) => {
    const title = session.title ?? "Untitled conversation";
    return h(
      "li",
      { class: "session-item" },
      h(
        "button",
        {
          type: "button",
          class: "session-open",
          "aria-current": session.id === current ? "true" : undefined,
          dataset: { sessionId: session.id },
          onclick: () => onOpen(session.id),
        },
        h("span", { class: "session-title" }, title),
        h("span", { class: "muted small" }, `${formatRelative(session.updated_at)}${session.model ? ` · ${session.model}` : ""}`),
      ),
      h(
        "button",
        {
          type: "button",
          class: "icon-button",
          "aria-label": `Delete conversation “${title}”`,
          title: "Delete",
          onclick: () => void remove(session.id, title),
        },
        "×",
      ),
    );
  };

  const load = async () => {
    try {
      const { sessions } = await api(`/api/chat/sessions?client_id=${encodeURIComponent(clientId)}&limit=50`, { signal });
      replace(
        list,
        sessions.length === 0 ? h("li", { class: "muted small" }, "No conversations yet.") : null,
        sessions.map((/** @type {any} */ session) => item(session)),
      );
    } catch (error) {
      showError(error, "Loading conversations");
    }
  };

  /** @param {string} id @param {string} title */
  const remove = async (id, title) => {
    if (!confirm(`Delete the conversation “${title}”?`)) return;
    try {
      await api(`/api/chat/session/${encodeURIComponent(id)}`, { method: "DELETE", signal });
      onDeleted(id);
      await load();
    } catch (error) {
      showError(error, "Deleting the conversation");
    }
  };

  return {
    element: list,
    load,
    /** Marks the open conversation. @param {string | undefined} id */
    setCurrent(id) {
      current = id;
      for (const button of list.querySelectorAll(".session-open")) {
        if (button instanceof HTMLElement && button.dataset.sessionId === id) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    },
  };
}
