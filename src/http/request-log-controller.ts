import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from "fastify";

/** Told of every finished response, hijacked streams included (Fastify reports them here too). */
export type RequestCompletedListener = (method: string, route: string, status: number) => void;

/**
 * One log line per request (Fastify's default is two), written when the response is done.
 * Errors are logged by the error mapper, which knows whether they matter (5xx) or not.
 */
export class RequestLogController extends LogController {
  /**
   * The request line holds only method, path (query stripped), status, duration and id: nothing
   * to redact, and pino's redaction more than doubles the cost of the hottest log line there is.
   */
  private requestLogger: FastifyBaseLogger | undefined;

  constructor(private readonly onCompleted?: RequestCompletedListener) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // The id as a field: same line as the request's child logger would write, without
    // building a child logger for every request.
    this.requestLogger ??= request.server.log.child({}, { redact: { paths: [] } });
    this.requestLogger.info(
      {
        reqId: request.id,
        method: request.method,
        url: request.url.split("?", 1)[0],
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      "request",
    );
    // The route pattern, never the raw URL: the counters' cardinality stays bounded.
    this.onCompleted?.(request.method, request.routeOptions.url ?? "(no route)", reply.statusCode);
  }

  override defaultErrorLog(): void {}
  override routeNotFound(): void {}
}
