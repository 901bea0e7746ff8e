import type { FastifyInstance } from "fastify";
import type { StationError } from "../../errors/station-error.ts";
import { toStationError } from "./to-station-error.ts";

/**
 * One error mapping for one API surface (a Fastify plugin): everything thrown in its routes,
 * hooks and body parsing is answered in that protocol's own shape, whatever its URL prefix
 * (Ollama's `/api/*` shares a prefix with Station's own routes). Unknown errors are bare 500s.
 */
export function registerSurfaceErrors(fastify: FastifyInstance, body: (error: StationError) => unknown): void {
  fastify.setErrorHandler(async (error, request, reply) => {
    const stationError = toStationError(error);
    if (stationError.status >= 500) request.log.error({ err: error }, "request failed");
    if (stationError.retryAfterSeconds !== undefined) reply.header("retry-after", String(stationError.retryAfterSeconds));
    return reply.status(stationError.status).send(body(stationError));
  });
}
