import { type Logger, pino } from "pino";
import type { SecretRedactor } from "../security/secret-redactor.ts";
import { bufferedStdout } from "./turn-buffered-writer.ts";

/** Paths pino blanks out wherever they appear, so secrets never reach a log line. */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'req.headers["x-moondream-auth"]',
  "headers.authorization",
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "password",
  "*.password",
];

/**
 * The process's logger. Paths above are blanked by name; with a `redactor`, every configured
 * secret is also replaced by value in each finished line (an upstream's error message that
 * quotes the key it was sent, a URL with a password), whatever field or stack it sits in.
 * Without a `destination` lines go to stdout, one write per event-loop turn.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, redactor?: SecretRedactor): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: "[redacted]" },
      base: { service: "station" },
      ...(redactor === undefined ? {} : { hooks: { streamWrite: (line: string) => redactor.redact(line) } }),
    },
    // stdout gets each event-loop turn's lines in one write (see TurnBufferedWriter).
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable stream
    (destination ?? bufferedStdout()) as any,
  );
}

export type { Logger };
