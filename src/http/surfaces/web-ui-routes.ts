import { fileURLToPath } from "node:url";
import type * as FastifyStaticModule from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import { requireBundled } from "../../bundled/require-bundled.ts";

const fastifyStatic = requireBundled<typeof FastifyStaticModule>("@fastify/static").default;

/** The web UI's files: plain HTML, CSS and ES modules, served as they are (no build step). */
const webRoot = fileURLToPath(new URL("../../../web/", import.meta.url));

/**
 * The shell holds no data and runs only its own files: every API call it makes goes to this
 * origin (`connect-src 'self'`), images the user picks are shown from `blob:`/`data:` URLs,
 * and nothing inline runs, so an injected string can never become script or style.
 */
export const webUiContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The web UI: `GET /` is the page, `GET /ui/<file>` its assets. Only files present in `web/`
 * at start-up become routes, so every other path still reaches the JSON 404. The shell is open
 * even with API keys configured (it holds no data); the page asks for a key and sends it as
 * `Authorization: Bearer` on every API call.
 */
export const webUiRoutes: FastifyPluginAsync = async (app) => {
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, openWithoutApiKey: true };
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    reply.header("content-security-policy", webUiContentSecurityPolicy);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cross-origin-opener-policy", "same-origin");
    done(null, payload);
  });

  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: "/ui/",
    // One route per file found now, not a wildcard: unknown paths fall through to the JSON 404.
    wildcard: false,
    index: false,
    dotfiles: "deny",
    // Revalidate on every load (ETag / Last-Modified): an upgraded Station never serves a stale UI.
    cacheControl: false,
    setHeaders: (reply) => {
      reply.header("cache-control", "no-cache");
    },
  });

  app.get("/", { schema: { hide: true } }, (_request, reply) => reply.sendFile("index.html"));
};
