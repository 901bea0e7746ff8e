import { errors } from "../../errors/errors.ts";

const unitsMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Ollama's `keep_alive`: a number of seconds, or a duration string ("10m", "1h30m", "500ms",
 * "-1"). 0 unloads right after the request; any negative value keeps the model forever (-1 ms).
 */
export function parseKeepAlive(value: unknown, param = "keep_alive"): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw errors.invalidRequest(`${param} must be a finite number of seconds or a duration`, param);
    return value < 0 ? -1 : Math.round(value * 1000);
  }
  if (typeof value !== "string") throw errors.invalidRequest(`${param} must be a number of seconds or a duration like "5m"`, param);
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseKeepAlive(Number(text), param);
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(body); match !== null; match = pattern.exec(body)) {
    total += Number(match[1]) * (unitsMs[match[2] as string] as number);
    consumed = pattern.lastIndex;
  }
  if (body.length === 0 || consumed !== body.length) {
    throw errors.invalidRequest(`${param} '${value}' is not a duration (examples: 30s, 5m, 1h, 0, -1)`, param);
  }
  return negative ? -1 : Math.round(total);
}
