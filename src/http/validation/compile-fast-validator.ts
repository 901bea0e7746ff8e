import { createRequire } from "node:module";
import type { Ajv, ValidateFunction } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

let ajv: Ajv | undefined;
/** Ajv (CommonJS), required with the first validator compiled: nothing of it loads at start-up. */
function sharedAjv(): Ajv {
  if (ajv === undefined) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
    ajv = new AjvClass({ allErrors: false, coerceTypes: false, useDefaults: false, strict: false });
  }
  return ajv;
}

/**
 * A route-level validator compiler backed by Ajv's compiled validators, for hot routes where
 * zod's interpreted parse is a measurable share of a request (the OpenAI chat relay: ~20 % of
 * throughput in bench/gateway). The route keeps its zod schema (the OpenAPI document is made
 * from it); validation uses `jsonSchema()`, derived from that zod schema, so both describe the
 * same contract. Ajv errors carry `instancePath`, which the error mapper turns into `param`.
 *
 * Converted and compiled on the route's first request, not at start-up: zod's JSON Schema
 * conversion and Ajv's code generation for the seven protocol schemas were a third of the CPU
 * from `station serve` to a /health answer.
 */
export function fastValidatorCompiler(jsonSchema: () => Record<string, unknown>): FastifySchemaCompiler<unknown> {
  let compiled: ValidateFunction | undefined;
  const validate = (data: unknown): boolean => {
    compiled ??= sharedAjv().compile(jsonSchema());
    const valid = compiled(data);
    // Fastify reads the errors from the function it was handed, and only after a false.
    if (!valid) validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null as ValidateFunction["errors"];
  return () => validate;
}
