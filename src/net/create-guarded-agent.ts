import type { Agent } from "undici";
import { guardedLookup } from "./guarded-lookup.ts";
import { loadUndici } from "./load-undici.ts";

/**
 * An undici connection pool whose every new socket resolves its host through `guardedLookup`,
 * so the address actually connected to is checked (DNS rebinding), not just the one seen first.
 */
export function createGuardedAgent(options: { allowPrivateNetworks: boolean; connectTimeoutMs?: number }): Agent {
  const timeout = options.connectTimeoutMs ?? 5_000;
  const { Agent } = loadUndici();
  return new Agent({ connect: options.allowPrivateNetworks ? { timeout } : { timeout, lookup: guardedLookup } });
}
