import { isStationError, StationError } from "../../errors/station-error.ts";
import { asDatabaseUnavailable } from "../../storage/database-unavailable.ts";

interface FrameworkError extends Error {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  validationContext?: string;
}

/**
 * Turns anything thrown in a handler (our errors, Fastify's parser/validation errors,
 * surprises) into a StationError. Unknown errors become a bare 500: no message, no stack.
 */
export function toStationError(error: unknown): StationError {
  if (isStationError(error)) return error;
  const framework = error as FrameworkError;
  if (framework?.code === "FST_ERR_CTP_BODY_TOO_LARGE" || framework?.statusCode === 413) {
    return new StationError({ code: "payload_too_large", status: 413, message: "Request body is larger than the server accepts" });
  }
  if (framework?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || framework?.statusCode === 415) {
    return new StationError({ code: "unsupported_media_type", status: 415, message: framework.message });
  }
  if (framework?.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
    return new StationError({ code: "invalid_json", status: 400, message: "Request body is empty but Content-Type is application/json" });
  }
  if (framework instanceof SyntaxError || framework?.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return new StationError({ code: "invalid_json", status: 400, message: `Request body is not valid JSON: ${framework.message}` });
  }
  if (framework?.validation !== undefined) {
    return new StationError({ code: "invalid_request", status: 400, message: framework.message, param: firstParam(framework) });
  }
  if (typeof framework?.statusCode === "number" && framework.statusCode >= 400 && framework.statusCode < 500) {
    return new StationError({ code: "invalid_request", status: framework.statusCode, message: framework.message });
  }
  return (
    asDatabaseUnavailable(error) ??
    new StationError({ code: "internal_error", status: 500, message: "Internal server error", cause: error })
  );
}

function firstParam(error: FrameworkError): string | undefined {
  const issues = error.validation as ValidationIssue[] | undefined;
  const first = Array.isArray(issues) ? issues[0] : undefined;
  if (first === undefined) return undefined;
  const path = first.path !== undefined ? first.path.map(String) : pathOf(first.instancePath);
  // An unknown or missing field is reported on its parent object: name the field itself.
  const field = first.params?.additionalProperty ?? first.params?.missingProperty ?? first.params?.keys?.[0];
  if (field !== undefined) path.push(field);
  return path.length > 0 ? path.join(".") : undefined;
}

/** Ajv's and fastify-type-provider-zod's issue shapes (zod's `keys` come through in `params`). */
interface ValidationIssue {
  instancePath?: string;
  path?: (string | number)[];
  params?: { additionalProperty?: string; missingProperty?: string; keys?: string[] };
}

function pathOf(instancePath: string | undefined): string[] {
  return (instancePath ?? "").split("/").filter((segment) => segment.length > 0);
}
