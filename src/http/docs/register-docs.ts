import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { buildOpenApiDocument, type DocumentedRoute, type OpenApiInfo } from "./build-openapi-document.ts";

/** The page and its own script and style (web/docs/). */
const shellRoot = fileURLToPath(new URL("../../../web/docs/", import.meta.url));
/** Swagger UI's browser bundle, as @fastify/swagger-ui ships it (resolved, not loaded). */
const swaggerUiRoot = path.join(path.dirname(createRequire(import.meta.url).resolve("@fastify/swagger-ui")), "static");

const contentTypes: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
};

/** Every file /docs/static/ serves: a fixed list, so no other path of either folder is reachable. */
const staticFiles = new Map<string, string>([
  ...[
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "index.css",
    "favicon-16x16.png",
    "favicon-32x32.png",
  ].map((name): [string, string] => [name, path.join(swaggerUiRoot, name)]),
  ...["docs.js", "docs.css"].map((name): [string, string] => [name, path.join(shellRoot, name)]),
]);

/**
 * The shell needs no key, as the web UI's does not: it holds no data. Its script sends the
 * key the web UI stored; the document itself (/openapi.json) needs the key like any API.
 * Swagger UI styles its widgets inline, hence 'unsafe-inline' for styles (never for scripts).
 */
export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `GET /openapi.json` (also `/docs/json`, and `/docs/yaml`) and the interactive reference at
 * `/docs`. Records every route the app gets from here on; the document is built from them on
 * its first request (build-openapi-document.ts), and the page is plain files read when asked for.
 * Call on the root instance before the surfaces are registered, so its onRoute hook sees them.
 */
export function registerDocs(app: FastifyInstance, info: OpenApiInfo): void {
  const routes: DocumentedRoute[] = [];
  app.addHook("onRoute", (route) => {
    routes.push({ method: route.method, url: route.url, schema: route.schema, config: route.config, constraints: route.constraints });
  });
  let built: Promise<unknown> | undefined;
  const openApiDocument = (): Promise<unknown> => {
    built ??= buildOpenApiDocument(routes, info).catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
  const hidden = { schema: { hide: true } };
  const open = { ...hidden, config: { openWithoutApiKey: true } };

  app.get("/openapi.json", hidden, () => openApiDocument());
  app.get("/docs/json", hidden, () => openApiDocument());
  app.get("/docs/yaml", hidden, async (_request, reply) => {
    const [{ stringify }, document] = await Promise.all([import("yaml"), openApiDocument()]);
    return reply.type("application/x-yaml").send(stringify(document));
  });

  let page: Promise<string> | undefined;
  const sendPage = async (_request: unknown, reply: FastifyReply) => {
    page ??= readFile(path.join(shellRoot, "index.html"), "utf8");
    return reply
      .headers(shellHeaders)
      .type("text/html; charset=utf-8")
      .send(await page);
  };
  app.get("/docs", open, sendPage);
  app.get("/docs/", open, sendPage);
  app.get<{ Params: { file: string } }>("/docs/static/:file", open, async (request, reply) => {
    const file = staticFiles.get(request.params.file);
    if (file === undefined) {
      reply.callNotFound();
      return reply;
    }
    return reply
      .headers(shellHeaders)
      .header("cache-control", "no-cache")
      .type(contentTypes[path.extname(file)] ?? "application/octet-stream")
      .send(createReadStream(file));
  });
}

const shellHeaders = {
  "content-security-policy": docsContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
