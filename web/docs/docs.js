import { currentApiKey, storeApiKey } from "/ui/js/api.js";

/**
 * Station's API reference: Swagger UI over /openapi.json. The page itself needs no key; the
 * document and every "Try it out" call do, so each request to this origin carries the key the
 * web UI keeps in this browser (unless the user set one with Authorize). Without a stored key,
 * a 401 on the document shows a form that stores one, the same way the web UI does.
 */
const documentUrl = "/openapi.json";

/** @param {string} url */
const isSameOrigin = (url) => new URL(url, window.location.href).origin === window.location.origin;

/** @param {Record<string, string>} headers */
const hasAuthorization = (headers) => Object.keys(headers).some((name) => name.toLowerCase() === "authorization");

/** @param {{url: string, headers: Record<string, string>}} request */
function addStoredKey(request) {
  const key = currentApiKey();
  if (key.length > 0 && isSameOrigin(request.url) && !hasAuthorization(request.headers)) {
    request.headers.Authorization = `Bearer ${key}`;
  }
  return request;
}

/** @param {{url: string, status: number}} response */
function askForKeyOnRefusedDocument(response) {
  if (response.status === 401 && new URL(response.url, window.location.href).pathname === documentUrl) showKeyForm();
  return response;
}

function showKeyForm() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("docs-key"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("docs-key-input"));
  if (currentApiKey().length > 0) {
    /** @type {HTMLElement} */ (document.getElementById("docs-key-reason")).textContent =
      "The stored API key was refused. Enter another; it replaces the one the web UI keeps in this browser.";
  }
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    storeApiKey(input.value.trim());
    window.location.reload();
  });
  input.focus();
}

const { SwaggerUIBundle, SwaggerUIStandalonePreset } = /** @type {any} */ (window);
SwaggerUIBundle({
  url: documentUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout",
  validatorUrl: null,
  requestInterceptor: addStoredKey,
  responseInterceptor: askForKeyOnRefusedDocument,
});
