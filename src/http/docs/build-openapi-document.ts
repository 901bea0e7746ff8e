import type { RouteOptions } from "fastify";

/** What the OpenAPI document needs of a route, as Fastify's onRoute hook hands it over. */
export type DocumentedRoute = Pick<RouteOptions, "method" | "url" | "schema" | "config" | "constraints">;

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/**
 * The OpenAPI document of the app's routes, made by @fastify/swagger on a Fastify instance of
 * its own that holds the same routes with no handlers. Built on the first request for the
 * document, so `station serve` pays neither the swagger modules nor the zod-to-JSON-Schema
 * conversion of every route at start-up. No validator or serializer is compiled on it.
 */
export async function buildOpenApiDocument(routes: readonly DocumentedRoute[], info: OpenApiInfo): Promise<unknown> {
  const [{ default: Fastify }, { default: swagger }, { jsonSchemaTransform }] = await Promise.all([
    import("fastify"),
    import("@fastify/swagger"),
    import("fastify-type-provider-zod"),
  ]);
  const documenter = Fastify({
    // HEAD routes are replayed as recorded (swagger leaves them out), never generated twice.
    exposeHeadRoutes: false,
    // Nothing is validated or serialised here: no compiler of any kind is built.
    schemaController: {
      compilersFactory: { buildValidator: () => (() => () => true) as never, buildSerializer: () => () => JSON.stringify },
    },
  });
  await documenter.register(swagger, {
    openapi: { info, components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } },
    transform: jsonSchemaTransform,
  });
  const unused = async () => undefined;
  for (const route of routes) {
    documenter.route({
      method: route.method,
      url: route.url,
      handler: unused,
      ...(route.schema === undefined ? {} : { schema: route.schema }),
      ...(route.config === undefined ? {} : { config: route.config }),
      ...(route.constraints === undefined ? {} : { constraints: route.constraints }),
    });
  }
  await documenter.ready();
  const document = documenter.swagger();
  await documenter.close();
  return document;
}
