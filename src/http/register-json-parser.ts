import type { FastifyInstance } from "fastify";
import { StationError } from "../errors/station-error.ts";
import { exceedsJsonDepth, maxJsonDepth } from "../net/exceeds-json-depth.ts";

/**
 * Replaces Fastify's JSON body parser with the same parser (secure-json-parse, the same
 * prototype-poisoning rules and errors) behind a nesting-depth bound, so a deeply nested body is
 * a 400 on every surface before any handler walks it. Register before the surface plugins:
 * they inherit the root's parsers.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? "error",
    app.initialConfig.onConstructorPoisoning ?? "error",
  );
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, raw, done) => {
    const body = raw as string;
    if (exceedsJsonDepth(body)) {
      done(
        new StationError({
          code: "json_too_deep",
          status: 400,
          message: `Request body nests objects and arrays deeper than ${maxJsonDepth} levels`,
        }),
        undefined,
      );
      return;
    }
    parseJson(request, body, done);
  });
}
