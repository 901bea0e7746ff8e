import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/**
 * One log line per request (Fastify's default is two), written when the response is done.
 * Errors are logged by the error mapper, which knows whether they matter (5xx) or not.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // The root logger with the id as a field: same line as the request's child would write,
    // without building a child logger for every request.
    request.server.log.info(
      {
        reqId: request.id,
        method: request.method,
        url: request.url.split("?", 1)[0],
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      "request",
    );
  }

  override defaultErrorLog(): void {}
  override routeNotFound(): void {}
}
