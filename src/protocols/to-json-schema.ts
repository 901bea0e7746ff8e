import { type ZodType, z } from "zod";

/**
 * A request schema as draft-7 JSON Schema for Ajv's compiled validator (`fastValidatorCompiler`):
 * zod's interpreted parse costs a measurable share of a relayed request, and the route keeps the
 * zod schema for its OpenAPI document, so both describe one contract.
 */
export function toJsonSchema(schema: ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}
