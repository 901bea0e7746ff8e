/**
 * LM Studio users paste any of "http://host:1234", ".../v1", ".../api/v1", ".../api/v0", with or
 * without trailing slashes. All of them mean the same server: return its root.
 */
export function normalizeLmStudioBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "").replace(/\/(api\/v[01]|v1)$/, "");
  return `${url.origin}${path.replace(/\/+$/, "")}`;
}
