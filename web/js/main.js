import { currentApiKey, onUnauthorized } from "./api.js";
import { openKeyDialog, updateKeyButton } from "./key-dialog.js";
import { clearNotices } from "./notices.js";
import { startRouter } from "./router.js";
import { chatView } from "./views/chat.js";
import { mcpView } from "./views/mcp.js";
import { modelsView } from "./views/models.js";
import { overviewView } from "./views/overview.js";
import { queueView } from "./views/queue.js";
import { visionView } from "./views/vision.js";
import { voiceView } from "./views/voice.js";

const views = {
  overview: overviewView,
  chat: chatView,
  voice: voiceView,
  vision: visionView,
  models: modelsView,
  mcp: mcpView,
  queue: queueView,
};

onUnauthorized(() =>
  openKeyDialog({
    reason:
      currentApiKey() === ""
        ? "This Station needs an API key (server.apiKeys is set)."
        : "Station refused the stored API key: enter another one.",
  }),
);
updateKeyButton();

const container = /** @type {HTMLElement} */ (document.getElementById("view"));
const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const navToggle = /** @type {HTMLButtonElement} */ (document.getElementById("nav-toggle"));

const changeKey = async () => {
  // A new key may open views that just failed with 401: show the current one again.
  if (await openKeyDialog()) window.dispatchEvent(new HashChangeEvent("hashchange"));
};
document.getElementById("api-key-button")?.addEventListener("click", changeKey);
window.addEventListener("station:api-key", changeKey);

document.getElementById("skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

// Narrow windows: the nav folds behind a Menu button; picking a view folds it again.
navToggle.addEventListener("click", () => {
  const open = navToggle.getAttribute("aria-expanded") !== "true";
  navToggle.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
});
nav.addEventListener("click", (event) => {
  if (event.target instanceof HTMLAnchorElement) {
    navToggle.setAttribute("aria-expanded", "false");
    nav.classList.remove("open");
  }
});

// A view's error banners belong to it: changing view takes them away (registered before the
// router's own listener, so the new view's errors are not cleared).
window.addEventListener("hashchange", () => {
  if (location.hash.startsWith("#/")) clearNotices();
});

startRouter(views, "overview", container);
