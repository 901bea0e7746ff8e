import ipaddr from "ipaddr.js";

/**
 * True only for globally routable unicast addresses. Everything special is refused:
 * loopback, link-local, private (RFC 1918), unique-local, CGNAT, multicast, broadcast,
 * unspecified, documentation/reserved ranges, and IPv6 forms that tunnel an IPv4
 * address (mapped addresses are judged by the IPv4 address inside them).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === "unicast";
}
