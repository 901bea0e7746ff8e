import type { Agent } from "undici";
import { assertPublicUrl, type ResolveHost } from "./assert-public-url.ts";
import { createGuardedAgent } from "./create-guarded-agent.ts";
import { loadUndici } from "./load-undici.ts";
import { toNetworkError } from "./to-network-error.ts";

export interface GuardedPostOptions {
  allowPrivateNetworks: boolean;
  /** Whole request time, headers and body. */
  timeoutMs: number;
  connectTimeoutMs?: number;
  resolve?: ResolveHost;
}

export type GuardedPost = ((
  url: string,
  init: { headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number }>) & {
  close(): Promise<void>;
};

/**
 * A lean POST for fire-and-forget deliveries (webhooks): the same SSRF checks as
 * `createGuardedFetch`, never follows redirects (a 3xx is returned as is), reads and discards
 * the body. Uses undici's `request`, several times cheaper per call than `fetch`.
 */
export function createGuardedPost(options: GuardedPostOptions): GuardedPost {
  // Created by the first delivery: undici stays unloaded until a webhook is sent.
  let agent: Agent | undefined;
  const post = async (
    url: string,
    init: { headers: Record<string, string>; body: string; signal?: AbortSignal },
  ): Promise<{ status: number }> => {
    const target = await assertPublicUrl(url, { allowPrivateNetworks: options.allowPrivateNetworks, resolve: options.resolve });
    agent ??= createGuardedAgent(options);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
    const abort = (): void => timeout.abort();
    init.signal?.addEventListener("abort", abort, { once: true });
    try {
      const response = await loadUndici().request(target, {
        method: "POST",
        headers: init.headers,
        body: init.body,
        dispatcher: agent,
        signal: timeout.signal,
      });
      await response.body.dump();
      return { status: response.statusCode };
    } catch (error) {
      const timedOut = timeout.signal.aborted && init.signal?.aborted !== true;
      throw toNetworkError(error, target, timedOut ? timeout.signal : undefined, undefined);
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", abort);
    }
  };
  return Object.assign(post, { close: async () => agent?.close() });
}
