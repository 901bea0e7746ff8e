/**
 * Every call the UI makes to Station goes through here: same origin, JSON in and out, the API
 * key (when one is stored) as `Authorization: Bearer`, and both error shapes Station answers
 * with (`{error: {code, message}}`, and OpenAI's `{error: {message, type, code}}` under /v1)
 * turned into one ApiError. A 401 asks the user for a key once and retries.
 */

const keyStorageName = "station.apiKey";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when Station could not be reached)
   * @param {string} code Station's error code, e.g. "model_not_found"
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** @param {unknown} error */
export function isAbortError(error) {
  return error instanceof DOMException && error.name === "AbortError";
}

/** The key in use: read once at start, then kept in step with what the user saves. */
let memoryKey = readStoredKey();
/** @type {(() => Promise<boolean>) | undefined} */
let askForKey;
/** @type {Promise<boolean> | undefined} */
let pendingAsk;
/** The user cancelled the key dialog: report later 401s instead of asking again. */
let declined = false;

export function currentApiKey() {
  return memoryKey;
}

function readStoredKey() {
  try {
    return localStorage.getItem(keyStorageName) ?? "";
  } catch {
    return "";
  }
}

/** @param {string} key an empty string forgets the key */
export function storeApiKey(key) {
  try {
    if (key.length === 0) localStorage.removeItem(keyStorageName);
    else localStorage.setItem(keyStorageName, key);
  } catch {
    // No storage (private mode, blocked cookies): the key lives as long as this page.
  }
  memoryKey = key;
  declined = false;
}

/**
 * What to do on a 401: show the key dialog; resolve true when a new key was saved.
 * @param {() => Promise<boolean>} handler
 */
export function onUnauthorized(handler) {
  askForKey = handler;
}

/**
 * @typedef {object} RequestOptions
 * @property {string} [method]
 * @property {unknown} [body] JSON-encoded unless it is FormData
 * @property {AbortSignal} [signal]
 * @property {boolean} [raw] resolve with the Response (for streams) instead of its parsed body
 */

/**
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  let response = await send(path, options);
  // Ask once; after a Cancel, later 401s (polls) just report the error until a key is saved.
  if (response.status === 401 && askForKey !== undefined && !declined) {
    pendingAsk ??= askForKey().finally(() => {
      pendingAsk = undefined;
    });
    if (await pendingAsk) response = await send(path, options);
    else declined = true;
  }
  if (!response.ok) throw await toApiError(response);
  if (options.raw) return response;
  if (response.status === 204) return undefined;
  const type = response.headers.get("content-type") ?? "";
  return type.includes("json") ? response.json() : response.text();
}

/**
 * @param {string} path
 * @param {RequestOptions} options
 */
async function send(path, options) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json, text/event-stream" };
  if (memoryKey.length > 0) headers.authorization = `Bearer ${memoryKey}`;
  /** @type {BodyInit | undefined} */
  let body;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  try {
    return await fetch(path, { method: options.method ?? (body === undefined ? "GET" : "POST"), headers, body, signal: options.signal });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError(0, "network_error", `Cannot reach Station (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** @param {Response} response */
async function toApiError(response) {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text);
    const error = parsed?.error;
    if (error && typeof error === "object") {
      const code = typeof error.code === "string" ? error.code : typeof error.type === "string" ? error.type : `http_${response.status}`;
      const message = typeof error.message === "string" ? error.message : response.statusText;
      return new ApiError(response.status, code, message);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return new ApiError(response.status, `http_${response.status}`, text.slice(0, 300) || response.statusText || "Request failed");
}
