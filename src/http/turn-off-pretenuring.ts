import { setFlagsFromString } from "node:v8";

/**
 * Turns off V8's allocation-site pretenuring for this process, before the server takes requests.
 * V8 decides per object literal whether to allocate it straight in the old generation, from how
 * many of its objects survived a young collection. On a server that decision is made under load,
 * where a burst of in-flight requests can make a per-request literal look long-lived: from then
 * on each request's objects of that site are born old, and everything young they point to
 * survives every scavenge and is promoted with them. Seen in bench/gateway/allocation.ts on about
 * one Station process in four, sticky for the process's life: each scavenge promoted ~1.3 MB
 * (~2.5 KiB a request) instead of ~85 KiB and took 2–3 ms instead of 0.7, on every surface. With
 * pretenuring off, twelve processes out of twelve stayed at ~85 KiB. V8 reads the flag at each
 * collection, so setting it at run time takes effect from the next one.
 */
export function turnOffPretenuring(): void {
  setFlagsFromString("--no-allocation-site-pretenuring");
}
