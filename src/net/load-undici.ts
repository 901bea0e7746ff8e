import { createRequire } from "node:module";

type Undici = typeof import("undici");

let undici: Undici | undefined;

/**
 * undici, loaded by the first outbound call rather than at start-up, where it cost about a
 * tenth of the time to the first /health answer while most configurations never call out.
 * Synchronous (undici is CommonJS), so the guarded helpers keep their synchronous factories.
 */
export function loadUndici(): Undici {
  undici ??= createRequire(import.meta.url)("undici") as Undici;
  return undici;
}
