/** A JSON Schema document as plain data (tool parameters, response formats). */
export type JsonSchema = Record<string, unknown>;
