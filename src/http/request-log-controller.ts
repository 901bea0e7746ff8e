import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { requestLineWriter } from "../logging/request-log-line.ts";
import { LogController } from "./fastify-runtime.ts";

/** Told of every finished response, hijacked streams included (Fastify reports them here too). */
export type RequestCompletedListener = (method: string, route: string, status: number) => void;

/**
 * One log line per request (Fastify's default is two), written when the response is done.
 * Errors are logged by the error mapper, which knows whether they matter (5xx) or not.
 */
export class RequestLogController extends LogController {
  /**
   * The request line holds only method, path (query stripped), status, duration and id: nothing
   * a redaction path names, so it is written without pino's general path (request-log-line.ts).
   */
  private writeLine: ReturnType<typeof requestLineWriter> | undefined;

  constructor(private readonly onCompleted?: RequestCompletedListener) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // The id as a field: same line as the request's child logger would write, without
    // building a child logger for every request.
    this.writeLine ??= requestLineWriter(request.server.log as unknown as Logger);
    const query = request.url.indexOf("?");
    this.writeLine({
      reqId: request.id,
      method: request.method,
      url: query === -1 ? request.url : request.url.slice(0, query),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    });
    // The route pattern, never the raw URL: the counters' cardinality stays bounded.
    this.onCompleted?.(request.method, request.routeOptions.url ?? "(no route)", reply.statusCode);
  }

  override defaultErrorLog(): void {}
  override routeNotFound(): void {}
}
