/**
 * "http://host:1234", "http://host:1234/", "http://host:1234/v1/" → "http://host:1234/v1".
 * A base URL with another path (OpenRouter's "/api/v1", a proxy prefix) is kept as given.
 */
export function normalizeOpenAiBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path === "" ? "/v1" : path}`;
}
