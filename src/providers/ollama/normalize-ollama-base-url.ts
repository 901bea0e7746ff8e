/** "http://host:11434/", ".../api", ".../v1" → "http://host:11434" (native paths start with /api). */
export function normalizeOllamaBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "").replace(/\/(api|v1)$/, "");
  return `${url.origin}${path}`;
}
