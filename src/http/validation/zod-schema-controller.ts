import type { FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";

/**
 * zod validates and serialises every route (a hot route may bring its own compiler). Given to
 * Fastify as its compilers factory rather than set after construction, Fastify never builds
 * its default Ajv and fast-json-stringify compilers: neither module loads at start-up.
 */
export const zodSchemaController: NonNullable<FastifyServerOptions["schemaController"]> = {
  compilersFactory: {
    buildValidator: () => validatorCompiler as never,
    buildSerializer: () => serializerCompiler as never,
  },
};
