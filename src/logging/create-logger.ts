import { type Logger, pino } from "pino";

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: "[redacted]" },
      base: { service: "station" },
    },
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable stream
    (destination ?? process.stdout) as any,
  );
}

export type { Logger };
