import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { StationError } from "../../errors/station-error.ts";
import type { HostAllowList } from "./host-allow-list.ts";
import type { OriginAllowList } from "./origin-allow-list.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Origins this route accepts cross-origin on top of the server's (`server.cors.origins`). */
    corsOrigins?: OriginAllowList;
  }
}

export interface BrowserGuardOptions {
  /** Undefined: every Host is served. */
  hosts: HostAllowList | undefined;
  /** Origins allowed cross-origin everywhere on this server; same-origin requests always are. */
  origins: OriginAllowList;
}

/** What a browser may read from a cross-origin answer beyond the CORS-safelisted headers. */
const exposedHeaders = "x-request-id, x-station-overhead-ms, retry-after";
const allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** A header list a preflight may ask for: tokens separated by commas (anything else is not echoed). */
const headerList = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * The checks that protect a server from web pages in the user's own browser, registered first
 * so they run before anything reads a body or asks for a key:
 *
 * - **Host** (DNS rebinding): a name outside `hosts` gets 403 `host_not_allowed`.
 * - **Origin** (cross-site requests): a request a browser sends from another origin is refused
 *   with 403 `origin_not_allowed` before its handler runs, so a page elsewhere can neither read
 *   Station's answers nor make it act (a form POST to /api/uploads needs no CORS to be sent).
 *   Same-origin requests (the web UI) and those without an `Origin` (every non-browser client)
 *   pass. An allowed origin gets CORS headers, and its preflights a 204.
 *
 * A request without `Origin` costs one Set lookup of its Host, nothing more. Another listener (a
 * second port) calls this on its own app; a surface that accepts more origins on its own routes
 * sets `config.corsOrigins` on them (an `onRoute` hook in its plugin), and preflights to those
 * routes' paths are answered by that list as well.
 */
export function registerBrowserGuards(app: FastifyInstance, options: BrowserGuardOptions): void {
  const { hosts, origins } = options;
  // Preflights (OPTIONS) match no route, so a surface's extra origins are found by path. The
  // route options are kept, not their config: a surface's own onRoute hook runs after this one.
  const routesByPath = new Map<string, { config?: { corsOrigins?: OriginAllowList } }[]>();
  app.addHook("onRoute", (route) => {
    if (route.url.includes(":") || route.url.includes("*")) return;
    routesByPath.set(route.url, [...(routesByPath.get(route.url) ?? []), route]);
  });
  const originsForPath = (url: string): OriginAllowList | undefined =>
    routesByPath.get(url.split("?", 1)[0] ?? "")?.find((route) => route.config?.corsOrigins !== undefined)?.config?.corsOrigins;

  app.addHook("onRequest", (request, reply, done) => {
    const host = request.headers.host;
    if (hosts !== undefined && host !== undefined && !hosts.allows(host)) {
      done(hostNotAllowed(host));
      return;
    }
    const origin = request.headers.origin;
    if (origin === undefined || isSameOrigin(origin, host)) {
      done();
      return;
    }
    const preflight = request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
    const routeOrigins = preflight ? originsForPath(request.url) : request.routeOptions.config.corsOrigins;
    if (!origins.allows(origin) && routeOrigins?.allows(origin) !== true) {
      done(originNotAllowed(origin));
      return;
    }
    // Set on the raw response: streamed replies write their own head past Fastify's headers.
    reply.raw.setHeader("access-control-allow-origin", origin);
    reply.raw.setHeader("vary", "Origin");
    if (!preflight) {
      reply.raw.setHeader("access-control-expose-headers", exposedHeaders);
      done();
      return;
    }
    answerPreflight(request, reply);
  });
}

function answerPreflight(request: FastifyRequest, reply: FastifyReply): void {
  const requested = request.headers["access-control-request-headers"];
  reply.raw.setHeader("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  reply.header("access-control-allow-methods", allowedMethods);
  if (typeof requested === "string" && headerList.test(requested.trim())) reply.header("access-control-allow-headers", requested.trim());
  reply.header("access-control-max-age", "600");
  reply.code(204).send();
}

/** The web UI's own requests: the Origin is this very Host, over http or https. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const schemeLength = origin.length - host.length;
  if (schemeLength === 7) return origin.startsWith("http://") && origin.endsWith(host);
  if (schemeLength === 8) return origin.startsWith("https://") && origin.endsWith(host);
  return false;
}

function hostNotAllowed(host: string): StationError {
  return new StationError({
    code: "host_not_allowed",
    status: 403,
    message: `This server does not answer to the name '${host}'. On a loopback address it serves only loopback names (localhost, 127.0.0.1, [::1]); add other names to server.allowedHosts`,
  });
}

function originNotAllowed(origin: string): StationError {
  return new StationError({
    code: "origin_not_allowed",
    status: 403,
    message: `Requests from the web origin '${origin}' are not allowed; add it to server.cors.origins to let pages there call this server`,
  });
}
