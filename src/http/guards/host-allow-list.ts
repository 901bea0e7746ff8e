import { isIPv4 } from "node:net";

/**
 * Which `Host` names a server answers. On a loopback bind only loopback names are served:
 * a web page whose own name an attacker re-points at 127.0.0.1 (DNS rebinding) sends its own
 * name as Host, so checking the Host is what stops it from reading Station's answers.
 */
export interface HostAllowList {
  /** `host` is a Host header value (name or address, optional port). */
  allows(host: string): boolean;
}

export interface HostAllowListOptions {
  /** Serve loopback names only (plus `allowedHosts`); otherwise every name unless `allowedHosts` is set. */
  loopbackOnly: boolean;
  /** Extra names (`station.lan`), whole domains (`.example.com`), or `*` for any. */
  allowedHosts?: readonly string[] | undefined;
}

/** Accepted Host values, remembered so a repeat costs one Set lookup (a header compare). */
const cacheLimit = 256;

/** Undefined when every Host is served (no check at all on the request path). */
export function createHostAllowList(options: HostAllowListOptions): HostAllowList | undefined {
  const extra = (options.allowedHosts ?? []).map((name) => name.trim().toLowerCase().replace(/\.$/, "")).filter((name) => name !== "");
  if (extra.includes("*")) return undefined;
  if (!options.loopbackOnly && extra.length === 0) return undefined;
  const names = new Set(extra.filter((name) => !name.startsWith(".")));
  const domains = extra.filter((name) => name.startsWith("."));
  const accepted = new Set<string>();

  const allowsName = (name: string): boolean => {
    if (isLoopbackName(name) || names.has(name)) return true;
    return domains.some((domain) => name.endsWith(domain) || name === domain.slice(1));
  };

  // Nearly every request names the same Host: one string compare, no hashing of a fresh string.
  let last = "";
  return {
    allows(host) {
      if (host === last) return true;
      if (accepted.has(host)) {
        last = host;
        return true;
      }
      const name = hostName(host);
      if (name === undefined || !allowsName(name)) return false;
      if (accepted.size < cacheLimit) accepted.add(host);
      last = host;
      return true;
    },
  };
}

/** The name part of a Host header, lower-case, without port or trailing dot; undefined if malformed. */
function hostName(host: string): string | undefined {
  let name: string;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end === -1) return undefined;
    name = host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(":");
    name = colon === -1 ? host : host.slice(0, colon);
  }
  return name.toLowerCase().replace(/\.$/, "");
}

/** localhost and its subdomains (RFC 6761: browsers resolve them to loopback themselves), 127/8, [::1]. */
function isLoopbackName(name: string): boolean {
  if (name === "localhost" || name.endsWith(".localhost") || name === "[::1]") return true;
  return isIPv4(name) && name.startsWith("127.");
}
