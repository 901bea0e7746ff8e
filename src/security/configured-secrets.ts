/** Keys whose string values are credentials wherever they sit in the config (`apiKey`, `hfToken`, `secret`, ...). */
const secretKey = /^(?:api[-_]?keys?|tokens?|secrets?|passwords?|authorization|credentials?)$/i;
const secretKeySuffix = /(?:ApiKeys?|Tokens?|Secrets?|Passwords?|[-_](?:api[-_]?keys?|tokens?|secrets?|passwords?))$/;
/** Keys of records whose every value may be a credential (HTTP headers). */
const headerRecordKey = /^headers$/i;
/** Keys of records (environment variables) whose values are credentials when their names say so. */
const environmentRecordKey = /^env$/i;
const secretVariableName = /key|token|secret|password|passwd|credential|auth/i;
/** An auth scheme in front of a header's credential ("Bearer sk-…"): the credential alone is a secret too. */
const authScheme = /^(?:bearer|basic|token|apikey|key)\s+(\S+)$/i;

/**
 * Every credential the loaded config holds, by value: provider `apiKey`s and `headers`, MCP
 * server headers and secret-named `env` values, `huggingFace.token`, `webhooks.secret`,
 * `server.apiKeys`, and passwords inside URLs (`postgres://user:pass@…`). A walk by key name
 * rather than a list of paths, so a credential added to the schema later is covered as well.
 */
export function configuredSecrets(config: unknown): string[] {
  const found = new Set<string>();
  walk(config, undefined, found);
  return [...found];
}

function walk(value: unknown, key: string | undefined, found: Set<string>): void {
  if (typeof value === "string") {
    if (key !== undefined && (secretKey.test(key) || secretKeySuffix.test(key))) addCredential(value, found);
    addUrlPassword(value, found);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, key, found);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [childKey, child] of Object.entries(value)) {
    if (key !== undefined && headerRecordKey.test(key) && typeof child === "string") addCredential(child, found);
    else if (key !== undefined && environmentRecordKey.test(key) && typeof child === "string") {
      if (secretVariableName.test(childKey)) addCredential(child, found);
    } else walk(child, childKey, found);
  }
}

function addCredential(value: string, found: Set<string>): void {
  const trimmed = value.trim();
  if (trimmed.length === 0) return;
  found.add(trimmed);
  const scheme = authScheme.exec(trimmed);
  if (scheme?.[1] !== undefined) found.add(scheme[1]);
  // A Standard Webhooks secret: the base64 key after the prefix is the secret itself.
  if (trimmed.startsWith("whsec_")) found.add(trimmed.slice("whsec_".length));
}

function addUrlPassword(value: string, found: Set<string>): void {
  if (!value.includes("://") || !value.includes("@")) return;
  try {
    const password = new URL(value).password;
    if (password.length > 0) {
      found.add(password);
      found.add(decodeURIComponent(password));
    }
  } catch {
    // not a URL
  }
}
