/**
 * Hash routes ("#/chat", "#/models"): one page, no server routes beyond "/". Each view is
 * mounted into the view container with an AbortSignal that aborts when the user leaves it, so
 * its requests, streams and polls stop with it.
 *
 * @typedef {object} View
 * @property {string} title
 * @property {(container: HTMLElement, signal: AbortSignal) => void | Promise<void>} mount
 */

/**
 * @param {Record<string, View>} views
 * @param {string} fallback the view shown for "" and unknown hashes
 * @param {HTMLElement} container
 */
export function startRouter(views, fallback, container) {
  /** @type {AbortController | undefined} */
  let current;
  let first = true;

  const show = () => {
    const hash = location.hash;
    // Only "#/..." is a route; other fragments (a skip link's "#main") are left to the browser.
    if (hash !== "" && !hash.startsWith("#/")) return;
    const name = hash.slice(2).split("?", 1)[0] ?? "";
    const view = views[name];
    if (view === undefined) {
      history.replaceState(null, "", `#/${fallback}`);
      return show();
    }
    current?.abort();
    current = new AbortController();
    document.title = `${view.title} · Station`;
    for (const link of document.querySelectorAll("[data-route]")) {
      if (link instanceof HTMLElement) {
        if (link.dataset.route === name) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    }
    container.replaceChildren();
    container.dataset.view = name;
    void view.mount(container, current.signal);
    // Move focus to the new view's heading (not on first load: the page would scroll oddly).
    if (!first) container.querySelector("h1")?.focus();
    first = false;
  };

  window.addEventListener("hashchange", show);
  show();
}
