import { api } from "../api.js";
import { badge, field, h, replace, viewHeader } from "../dom.js";
import { formatNumber, formatRelative } from "../format.js";
import { showError, showInfo } from "../notices.js";
import { poll } from "../poll.js";

/**
 * The MCP server registry: each server's state, transport, last error and tools; enable or
 * disable, reconnect, and add a Streamable HTTP server by URL. Refreshed every 5 s while shown.
 */
export const mcpView = {
  title: "MCP",
  /** @param {HTMLElement} container @param {AbortSignal} signal */
  mount(container, signal) {
    /** Servers whose tool list is open stay open across refreshes. */
    const open = new Set();
    const list = h("div", { class: "server-list", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
    const refreshAll = h("button", { type: "button", class: "button", onclick: () => void reconnect(undefined) }, "Reconnect all");
    const url = h("input", { id: "mcp-url", type: "url", placeholder: "https://host/mcp", required: true, autocomplete: "off" });
    const id = h("input", { id: "mcp-id", type: "text", placeholder: "optional", pattern: "[A-Za-z0-9_-]+", autocomplete: "off" });
    const connect = h(
      "form",
      { class: "inline-form", "aria-label": "Connect an MCP server" },
      field("Server URL", url),
      field("Id", id),
      h("button", { type: "submit", class: "button primary" }, "Connect"),
    );

    container.append(
      viewHeader(
        "MCP",
        "Tool servers the chat model can use. Stdio servers come from the config file; HTTP servers can be added here.",
        refreshAll,
      ),
      list,
      h(
        "section",
        { class: "card" },
        h("h2", null, "Connect a server"),
        h("p", { class: "muted small" }, "Streamable HTTP or legacy SSE. Private addresses need security.allowPrivateNetworks."),
        connect,
      ),
    );

    let shown = "";
    /** @param {{force?: boolean}} [options] */
    const load = async (options = {}) => {
      try {
        const { servers } = await api("/api/mcp/servers/", { signal });
        // Re-render only on a change, so a keyboard user's focus is not reset by every poll.
        const signature = JSON.stringify(servers);
        if (signature === shown && !options.force) return;
        shown = signature;
        list.removeAttribute("aria-busy");
        replace(
          list,
          servers.length === 0
            ? h("p", { class: "empty-state" }, "No MCP servers. Add one under mcp.servers in the config file, or connect one by URL below.")
            : servers.map((/** @type {any} */ server) => serverCard(server)),
        );
      } catch (error) {
        showError(error, "Loading MCP servers");
      }
    };

    /** @param {any} server */
    const serverCard = (server) => {
      const tools = h("div", { class: "tool-list" });
      const details = /** @type {HTMLDetailsElement} */ (
        h("details", { open: open.has(server.id) }, h("summary", null, `Tools (${formatNumber(server.tool_count)})`), tools)
      );
      details.addEventListener("toggle", () => {
        if (details.open) {
          open.add(server.id);
          void loadTools(server.id, tools);
        } else {
          open.delete(server.id);
        }
      });
      if (details.open) void loadTools(server.id, tools);
      return h(
        "article",
        { class: "card server" },
        h(
          "header",
          { class: "server-header" },
          h("h2", null, server.id),
          badge(server.enabled ? server.state : "disabled", server.enabled ? server.state : "disabled"),
          h("span", { class: "muted small" }, [server.kind, server.transport].filter(Boolean).join(" · ")),
        ),
        h("p", { class: "muted small break" }, server.target),
        server.server_info ? h("p", { class: "small" }, `${server.server_info.name ?? ""} ${server.server_info.version ?? ""}`) : null,
        server.last_error ? h("p", { class: "message-error" }, server.last_error) : null,
        h(
          "p",
          { class: "muted small" },
          server.connected_at ? `Connected ${formatRelative(server.connected_at)}` : `Attempts: ${formatNumber(server.attempts)}`,
        ),
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", class: "button small", onclick: () => void setEnabled(server.id, !server.enabled) },
            server.enabled ? "Disable" : "Enable",
          ),
          server.enabled
            ? h("button", { type: "button", class: "button small", onclick: () => void reconnect(server.id) }, "Reconnect")
            : null,
        ),
        details,
      );
    };

    /** @param {string} serverId @param {HTMLElement} target */
    const loadTools = async (serverId, target) => {
      try {
        const { tools } = await api(`/api/mcp/servers/${encodeURIComponent(serverId)}/tools`, { signal });
        replace(
          target,
          tools.length === 0
            ? h("p", { class: "muted small" }, "No tools (yet).")
            : h(
                "dl",
                { class: "tools" },
                tools.map((/** @type {any} */ tool) => [
                  h("dt", null, h("code", null, tool.name)),
                  h("dd", null, tool.description ?? tool.title ?? ""),
                ]),
              ),
        );
      } catch (error) {
        showError(error, `Loading the tools of ${serverId}`);
      }
    };

    /** @param {string | undefined} serverId */
    const reconnect = async (serverId) => {
      try {
        await api("/api/mcp/servers/refresh", { body: serverId === undefined ? {} : { id: serverId }, signal });
        await load();
      } catch (error) {
        showError(error, "Reconnecting");
      }
    };

    /** @param {string} serverId @param {boolean} enabled */
    const setEnabled = async (serverId, enabled) => {
      try {
        await api(`/api/mcp/servers/${encodeURIComponent(serverId)}`, { method: "PATCH", body: { enabled }, signal });
        await load();
      } catch (error) {
        showError(error, `${enabled ? "Enabling" : "Disabling"} ${serverId}`);
      }
    };

    connect.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = /** @type {HTMLButtonElement} */ (connect.querySelector("button[type=submit]"));
      const chosenId = /** @type {HTMLInputElement} */ (id).value.trim();
      submit.disabled = true;
      submit.textContent = "Connecting…";
      try {
        const server = await api("/api/mcp/servers/connect", {
          body: { url: /** @type {HTMLInputElement} */ (url).value.trim(), ...(chosenId === "" ? {} : { id: chosenId }) },
          signal,
        });
        showInfo(`Connected ${server.id}: ${formatNumber(server.tool_count)} tools.`);
        /** @type {HTMLFormElement} */ (connect).reset();
        await load();
      } catch (error) {
        showError(error, "Connecting the server");
      } finally {
        submit.disabled = false;
        submit.textContent = "Connect";
      }
    });

    poll(() => load(), 5000, signal);
  },
};
