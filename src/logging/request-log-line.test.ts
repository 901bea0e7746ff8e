import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createSecretRedactor } from "../security/secret-redactor.ts";
import { createLogger } from "./create-logger.ts";
import { type RequestLogFields, requestLineWriter } from "./request-log-line.ts";

function memoryStream(): { stream: Writable; lines: () => string[] } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, lines: () => text.split("\n").filter((line) => line.length > 0) };
}

const fields: RequestLogFields = {
  reqId: 'id-"quoted"\\-é-\u2028',
  method: "POST",
  url: "/v1/chat/completions",
  status: 200,
  durationMs: 0.53,
};
const withoutTime = (line: string): string => line.replace(/"time":\d+/, '"time":0');

describe("requestLineWriter", () => {
  it("writes the bytes pino's own info would, through Station's logger", () => {
    const { stream, lines } = memoryStream();
    const logger = createLogger("info", stream);
    requestLineWriter(logger)(fields);
    logger.child({}, { redact: { paths: [] } }).info(fields, "request");
    const [fast, viaPino] = lines();
    expect(fast).toBeDefined();
    expect(withoutTime(fast as string)).toBe(withoutTime(viaPino as string));
    expect(JSON.parse(fast as string)).toMatchObject({ level: 30, service: "station", ...fields, msg: "request" });
  });

  it("replaces a configured secret in the line (the logger's redaction hook)", () => {
    const { stream, lines } = memoryStream();
    const logger = createLogger("info", stream, createSecretRedactor(["sk-very-secret-value"]));
    requestLineWriter(logger)({ ...fields, url: "/v1/models/sk-very-secret-value" });
    expect(lines()[0]).toContain('"url":"/v1/models/[redacted]"');
  });

  it("writes nothing when the level is above info, and again once it is lowered", () => {
    const { stream, lines } = memoryStream();
    const logger = createLogger("warn", stream);
    const write = requestLineWriter(logger);
    write(fields);
    expect(lines()).toEqual([]);
    logger.level = "info";
    write(fields);
    expect(lines()).toHaveLength(1);
  });

  it("leaves a logger with a mixin to pino, so the mixin's fields are still written", () => {
    const { stream, lines } = memoryStream();
    const logger = pino({ mixin: () => ({ region: "eu" }) }, stream);
    requestLineWriter(logger)(fields);
    expect(JSON.parse(lines()[0] as string)).toMatchObject({ region: "eu", ...fields, msg: "request" });
  });
});
