import ipaddr from "ipaddr.js";

/** IANA's global unicast block: every public IPv6 address lies inside it. */
const globalUnicast = ipaddr.parseCIDR("2000::/3");

/**
 * True only for globally routable unicast addresses. Everything special is refused:
 * loopback, link-local, private (RFC 1918), unique-local, CGNAT, multicast, broadcast,
 * unspecified, documentation/reserved ranges, and IPv6 forms that tunnel an IPv4
 * address (mapped addresses are judged by the IPv4 address inside them).
 *
 * IPv6 is an allow-list, not a deny-list: only 2000::/3 can be public, so forms that
 * ipaddr.js calls "unicast" although they embed an IPv4 address — IPv4-compatible
 * `::a.b.c.d` (RFC 4291 §2.5.5.1, deprecated; `[::127.0.0.1]` is `::7f00:1` once a URL
 * parser has normalised it), and whatever else of ::/8 or 100::/8 — are refused with it.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(withoutDottedTail(address));
  if (parsed.kind() === "ipv4") return parsed.range() === "unicast";
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().range() === "unicast";
  return ipv6.match(globalUnicast) && ipv6.range() === "unicast";
}

/**
 * ipaddr.js reads `::a.b.c.d` as the mapped `::ffff:a.b.c.d`; the WHATWG URL parser (what
 * every fetch uses) reads it as `::hhhh:hhhh`. Judge the address the connection would use.
 */
function withoutDottedTail(address: string): string {
  if (!address.includes(":") || !address.includes(".")) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}
