import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { errors } from "../errors/errors.ts";
import type { SecretRedactor } from "../security/secret-redactor.ts";
import type { Station } from "../station/station.ts";
import { registerAuth } from "./auth/auth-hook.ts";
import { clientGone } from "./client-gone.ts";
import { connectionLimits } from "./connection-limits.ts";
import { registerDocs } from "./docs/register-docs.ts";
import { clientErrorHandler } from "./errors/client-error-handler.ts";
import { errorBody, surfaceOf } from "./errors/error-body.ts";
import { toStationError } from "./errors/to-station-error.ts";
import { fastify } from "./fastify-runtime.ts";
import { createHostAllowList } from "./guards/host-allow-list.ts";
import { createOriginAllowList } from "./guards/origin-allow-list.ts";
import { registerBrowserGuards } from "./guards/register-browser-guards.ts";
import { isLoopbackHost } from "./is-loopback-host.ts";
import { lazyChildLogger } from "./lazy-child-logger.ts";
import { registerJsonParser } from "./register-json-parser.ts";
import { RequestLogController } from "./request-log-controller.ts";
import { anthropicRoutes } from "./surfaces/anthropic-routes.ts";
import { audioRoutes } from "./surfaces/audio-routes.ts";
import { captionRoutes } from "./surfaces/caption-routes.ts";
import { chatRoutes } from "./surfaces/chat-routes.ts";
import { clientRoutes } from "./surfaces/client-routes.ts";
import { completionsRoutes } from "./surfaces/completions-routes.ts";
import { imageGenerationRoutes } from "./surfaces/image-generation-routes.ts";
import { mcpRoutes } from "./surfaces/mcp-routes.ts";
import { moondreamRoutes } from "./surfaces/moondream-routes.ts";
import { ollamaRoutes } from "./surfaces/ollama-routes.ts";
import { openAiRoutes } from "./surfaces/openai-routes.ts";
import { realtimeRoutes } from "./surfaces/realtime-routes.ts";
import { responsesRoutes } from "./surfaces/responses-routes.ts";
import { suggestionRoutes } from "./surfaces/suggestion-routes.ts";
import { systemMetricsRoutes } from "./surfaces/system-metrics-routes.ts";
import { systemModelsRoutes } from "./surfaces/system-models-routes.ts";
import { systemPullRoutes } from "./surfaces/system-pull-routes.ts";
import { systemRoutes } from "./surfaces/system-routes.ts";
import { uploadRoutes } from "./surfaces/upload-routes.ts";
import { webUiRoutes } from "./surfaces/web-ui-routes.ts";
import { readTlsFiles } from "./tls/read-tls-files.ts";
import { zodSchemaController } from "./validation/zod-schema-controller.ts";

/**
 * Builds the Fastify app for a Station without opening a port: tests call `app.inject()`,
 * `startServer` calls `listen()`. One plugin per API surface.
 */
export async function createApp(station: Station, options: { only?: "ollama" } = {}): Promise<FastifyInstance> {
  const { config } = station;
  const tls = config.server.tls === undefined ? undefined : readTlsFiles(config.server.tls);
  const limits = connectionLimits(config.server);
  const app = fastify({
    // HTTPS and WSS on the same port (the realtime upgrade rides the same server); an HTTPS
    // server takes the HTTP server's timeouts in its own options (Fastify's `http` is not read then).
    ...(tls === undefined ? {} : { https: { ...tls, ...limits.http } }),
    loggerInstance: station.logger as FastifyBaseLogger,
    logController: new RequestLogController(station.metrics.recordRequest),
    // A pino child per request costs more than many handlers; create it only if something logs.
    childLoggerFactory: lazyChildLogger,
    bodyLimit: config.server.bodyLimitBytes,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    clientErrorHandler,
    forceCloseConnections: false,
    schemaController: zodSchemaController,
    ...limits,
  }) as unknown as FastifyInstance;
  // Beyond this many open sockets Node closes new ones on arrival: a flood of slow clients runs
  // into this cap, not into the process's file-descriptor limit.
  app.server.maxConnections = config.server.maxConnections;

  registerJsonParser(app);
  app.decorate("secretRedactor", station.redactor);
  registerRequestLog(app, station.redactor);
  registerErrorMapping(app);
  registerBrowserGuards(app, {
    hosts: createHostAllowList({ loopbackOnly: isLoopbackHost(config.server.host), allowedHosts: config.server.allowedHosts }),
    origins: createOriginAllowList(config.server.cors.origins),
  });
  registerAuth(app, config.server.apiKeys);

  // server.ollamaPort: the Ollama API alone, with its own GET / answer, for tools that assume port 11434.
  if (options.only === "ollama") {
    await app.register(ollamaRoutes, { station, serveRoot: true });
    return app;
  }

  // /openapi.json and /docs: routes recorded from here on, the document built when first asked for.
  registerDocs(app, { title: "Station API", version: station.version, description: "Self-hosted AI backend" });

  await app.register(systemRoutes, { station });
  await app.register(systemModelsRoutes, { station });
  await app.register(systemPullRoutes, { station });
  await app.register(systemMetricsRoutes, { station });
  await app.register(imageGenerationRoutes, { station });
  await app.register(openAiRoutes, { station });
  await app.register(anthropicRoutes, { station });
  await app.register(audioRoutes, { station });
  await app.register(responsesRoutes, { station });
  await app.register(ollamaRoutes, { station });
  await app.register(completionsRoutes, { station });
  await app.register(moondreamRoutes, { station });
  await app.register(captionRoutes, { station });
  await app.register(chatRoutes, { station });
  await app.register(mcpRoutes, { station });
  await app.register(clientRoutes, { station });
  await app.register(uploadRoutes, { station });
  await app.register(suggestionRoutes, { station });
  await app.register(realtimeRoutes, { station });
  await app.register(webUiRoutes);

  return app;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Configured secrets, replaced by value: for what a surface writes past Fastify (streams, events). */
    secretRedactor: SecretRedactor;
  }
}

/**
 * Every response carries its request id (the log line is written by RequestLogController), and
 * no configured secret: every JSON body Fastify serialises (errors of every surface included)
 * is redacted here. Relayed upstream bodies are Buffers: writeGatewayReply redacts those bytes.
 */
function registerRequestLog(app: FastifyInstance, redactor: SecretRedactor): void {
  // Callback style: no promise per request on the hot path.
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    done(null, typeof payload === "string" ? redactor.redact(payload) : payload);
  });
}

/** Maps every error to the shape of the surface it happened on; never leaks a stack. */
function registerErrorMapping(app: FastifyInstance): void {
  app.setErrorHandler(async (error, request, reply) => {
    const stationError = toStationError(error);
    if (stationError.code === "client_closed_request" || clientGone(reply.raw)) {
      request.log.info({ code: stationError.code }, "the client closed the request before its reply");
    } else if (stationError.status >= 500) request.log.error({ err: error }, "request failed");
    // Refused before its body arrived (no key, too large, not allowed): close the connection once
    // the error is out, rather than keep reading a body nobody will use.
    if (!request.raw.complete) reply.header("connection", "close");
    if (stationError.retryAfterSeconds !== undefined) reply.header("retry-after", String(stationError.retryAfterSeconds));
    return reply.status(stationError.status).send(errorBody(surfaceOf(request.url), stationError));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const error = errors.notFound("Route", `${request.method} ${request.url.split("?", 1)[0]}`, "route_not_found");
    return reply.status(404).send(errorBody(surfaceOf(request.url), error));
  });
}
