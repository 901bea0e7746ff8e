import type { Agent, RequestInit, Response } from "undici";
import { assertPublicUrl, type ResolveHost } from "./assert-public-url.ts";
import { createGuardedAgent } from "./create-guarded-agent.ts";
import { loadUndici } from "./load-undici.ts";
import { toNetworkError } from "./to-network-error.ts";

export interface GuardedFetchOptions {
  /** security.allowPrivateNetworks: when true, only the scheme is checked. */
  allowPrivateNetworks: boolean;
  /** Redirects followed, each one re-checked; 0 (the default) returns the 3xx response as is. */
  maxRedirects?: number;
  /** Whole request time, headers and body; undefined for long-lived streams (MCP SSE). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Which request field held the URL, for error `param`s. */
  param?: string;
  /** Injectable DNS for the pre-connect check (tests); the connect-time check always uses the system resolver. */
  resolve?: ResolveHost;
}

export type GuardedFetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & {
  /** Closes the pooled connections. */
  close(): Promise<void>;
};

/**
 * A fetch for URLs that users supply (image URLs, webhooks, MCP servers): checks the URL
 * before connecting, re-checks the resolved address at connect time (DNS rebinding), never
 * follows a redirect without checking its target, and bounds time. Network failures become
 * 400 StationErrors (`url_not_allowed`, `url_unreachable`, `url_timeout`).
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  // Created by the first call: undici stays unloaded until something fetches.
  let agent: Agent | undefined;
  const maxRedirects = options.maxRedirects ?? 0;

  const guardedFetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const timeoutSignal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [init.signal, timeoutSignal].filter((signal): signal is AbortSignal => signal != null);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    let url = new URL(input.toString());
    for (let hop = 0; ; hop++) {
      await assertPublicUrl(url, { allowPrivateNetworks: options.allowPrivateNetworks, param: options.param, resolve: options.resolve });
      let response: Response;
      agent ??= createGuardedAgent(options);
      try {
        response = await loadUndici().fetch(url, { ...init, signal, redirect: "manual", dispatcher: agent });
      } catch (error) {
        throw toNetworkError(error, url, timeoutSignal, options.param);
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null || hop >= maxRedirects) return response;
      await response.body?.cancel();
      url = new URL(location, url);
      // 303 (and 301/302 after POST, as browsers do) turn into a GET without a body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && init.method === "POST")) {
        init = { ...init, method: "GET", body: null };
      }
    }
  };
  return Object.assign(guardedFetch, { close: async () => agent?.close() });
}
