import { Ajv, type ValidateFunction } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

let ajv: Ajv | undefined;
const sharedAjv = (): Ajv => {
  ajv ??= new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, strict: false });
  return ajv;
};

/**
 * A route-level validator compiler backed by Ajv's compiled validators, for hot routes where
 * zod's interpreted parse is a measurable share of a request (the OpenAI chat relay: ~20 % of
 * throughput in bench/gateway). The route keeps its zod schema (the OpenAPI document is made
 * from it); validation uses `jsonSchema`, derived from that zod schema, so both describe the
 * same contract. Ajv errors carry `instancePath`, which the error mapper turns into `param`.
 *
 * Compiled on the route's first request, not at start-up: Ajv's code generation for the seven
 * protocol schemas was a quarter of the CPU from `station serve` to a /health answer.
 */
export function fastValidatorCompiler(jsonSchema: Record<string, unknown>): FastifySchemaCompiler<unknown> {
  let compiled: ValidateFunction | undefined;
  const validate = (data: unknown): boolean => {
    compiled ??= sharedAjv().compile(jsonSchema);
    const valid = compiled(data);
    // Fastify reads the errors from the function it was handed, and only after a false.
    if (!valid) validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null as ValidateFunction["errors"];
  return () => validate;
}
