import { type LookupAddress, type LookupAllOptions, type LookupOneOptions, lookup } from "node:dns";
import { isPublicAddress } from "./is-public-address.ts";
import { urlNotAllowed } from "./url-not-allowed.ts";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for socket connects: resolves, then refuses non-public
 * addresses. Because it runs at connect time, a name that resolved to a public address
 * during the first check and to 127.0.0.1 now (DNS rebinding) is still refused.
 */
export function guardedLookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) {
      callback(error, "", 0);
      return;
    }
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused !== undefined) {
      callback(
        urlNotAllowed(`http://${hostname}/`, `'${hostname}' resolves to ${refused.address}, which is not a public address`) as never,
        "",
        0,
      );
      return;
    }
    if ((options as LookupAllOptions).all === true) {
      callback(null, addresses);
      return;
    }
    const first = addresses[0];
    if (first === undefined) {
      callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      return;
    }
    callback(null, first.address, first.family);
  });
}
