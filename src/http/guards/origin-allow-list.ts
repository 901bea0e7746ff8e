/**
 * Which browser origins may call Station cross-origin. Entries are exact origins
 * (`https://app.example.com`), patterns with `*` (`http://localhost:*`, `app://*`, the way
 * Ollama's `OLLAMA_ORIGINS` reads), `null` (sandboxed frames, `file:` pages) or `*` (any).
 * Compiled once; `allows` allocates nothing.
 */
export interface OriginAllowList {
  allows(origin: string): boolean;
  /** The patterns it was built from, for messages and for combining lists. */
  readonly patterns: readonly string[];
}

export function createOriginAllowList(patterns: readonly string[]): OriginAllowList {
  const normalised = patterns.map((pattern) => pattern.trim().replace(/\/+$/, "").toLowerCase()).filter((pattern) => pattern !== "");
  const any = normalised.includes("*");
  const exact = new Set(normalised.filter((pattern) => !pattern.includes("*")));
  const wildcards = normalised.filter((pattern) => pattern.includes("*") && pattern !== "*").map(toRegExp);
  return {
    patterns: normalised,
    allows(origin) {
      if (any || exact.has(origin)) return true;
      for (const wildcard of wildcards) if (wildcard.test(origin)) return true;
      // Browsers send origins lower-case; another client might not.
      const lower = origin.toLowerCase();
      return lower !== origin && (exact.has(lower) || wildcards.some((wildcard) => wildcard.test(lower)));
    },
  };
}

function toRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}
