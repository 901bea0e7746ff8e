import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { StationError } from "../errors/station-error.ts";
import { isPublicAddress } from "./is-public-address.ts";
import { urlNotAllowed } from "./url-not-allowed.ts";

export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface AssertPublicUrlOptions {
  /** When true, private and loopback hosts are allowed (security.allowPrivateNetworks). */
  allowPrivateNetworks: boolean;
  /** Which request field held the URL, for the error's `param`. */
  param?: string;
  /** Injectable DNS resolution; defaults to the system resolver (all addresses). */
  resolve?: ResolveHost;
}

export const resolveWithSystemDns: ResolveHost = async (hostname) => {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map((entry) => entry.address);
};

/**
 * Parses an http(s) URL and refuses it (400 url_not_allowed) when its host is, or resolves
 * to, a non-public address. Every resolved address must be public: a name that resolves to
 * one public and one private address is refused. This check alone does not stop DNS
 * rebinding; fetch through `createGuardedFetch`, which re-checks at connect time.
 */
export async function assertPublicUrl(url: string | URL, options: AssertPublicUrlOptions): Promise<URL> {
  const text = url.toString();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new StationError({ code: "invalid_url", status: 400, param: options.param, message: "The URL is not a valid absolute URL" });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw urlNotAllowed(text, `only http and https URLs are accepted, not '${parsed.protocol}'`, options.param);
  }
  if (options.allowPrivateNetworks) return parsed;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw urlNotAllowed(text, `${host} is not a public address`, options.param);
    return parsed;
  }
  let addresses: string[];
  try {
    addresses = await (options.resolve ?? resolveWithSystemDns)(host);
  } catch (error) {
    throw new StationError({
      code: "url_unreachable",
      status: 400,
      param: options.param,
      message: `The host '${host}' could not be resolved`,
      cause: error,
    });
  }
  if (addresses.length === 0) {
    throw new StationError({ code: "url_unreachable", status: 400, param: options.param, message: `The host '${host}' has no addresses` });
  }
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused !== undefined) throw urlNotAllowed(text, `'${host}' resolves to ${refused}, which is not a public address`, options.param);
  return parsed;
}
