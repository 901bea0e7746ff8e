import { ConfigError } from "./config-error.ts";

const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed config document.
 * A missing variable without a default is an error that names the key and the variable.
 */
export function interpolateEnvironment(value: unknown, environment: NodeJS.ProcessEnv, source: string, path: string[] = []): unknown {
  if (typeof value === "string") {
    return value.replace(variablePattern, (_match, name: string, fallback: string | undefined) => {
      const resolved = environment[name];
      if (resolved !== undefined && resolved !== "") return resolved;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        `${source}: key '${path.join(".")}' refers to the environment variable ${name}, which is not set (set it, or write \${${name}:-default})`,
      );
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateEnvironment(item, environment, source, [...path, String(index)]));
  }
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = interpolateEnvironment(item, environment, source, [...path, key]);
    }
    return result;
  }
  return value;
}
