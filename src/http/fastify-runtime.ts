import type * as FastifyModule from "fastify";
import { requireBundled } from "../bundled/require-bundled.ts";

/**
 * Fastify's values, from the build's one-file bundle of it (bin/bundle-dependencies.mjs) or the
 * package: every value Station takes from Fastify comes through here (types may come from
 * "fastify" directly), so there is one copy of its classes and symbols.
 */
const fastifyModule = requireBundled<typeof FastifyModule>("fastify");

export const { fastify, LogController } = fastifyModule;
