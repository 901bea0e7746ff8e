import type { FastifyBaseLogger, RawServerDefault } from "fastify";
import type { FastifyChildLoggerFactory } from "fastify/types/logger.js";

type Bindings = Record<string, unknown>;
const methods = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

/**
 * Fastify's per-request child logger, built on first use. Fastify makes a pino child for every
 * request (binding its id); most requests never log through it (the request line is written
 * from the root logger with the id as a field), and pino children are not free.
 */
export const lazyChildLogger: FastifyChildLoggerFactory<RawServerDefault> = (logger, bindings, options) => {
  let child: FastifyBaseLogger | undefined;
  const real = (): FastifyBaseLogger => {
    child ??= logger.child(bindings, options);
    return child;
  };
  const lazy = {
    get level() {
      return child?.level ?? logger.level;
    },
    set level(level: string) {
      real().level = level;
    },
    silent: (...args: unknown[]) => (real().silent as (...values: unknown[]) => void)(...args),
    child: (childBindings: Bindings, childOptions?: Parameters<FastifyBaseLogger["child"]>[1]) => real().child(childBindings, childOptions),
    bindings: () => ({ ...(logger as unknown as { bindings(): Bindings }).bindings(), ...bindings }),
  } as Record<string, unknown>;
  for (const method of methods) {
    lazy[method] = (...args: unknown[]) => {
      if (child === undefined && !(logger as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(method)) return;
      (real()[method] as (...values: unknown[]) => void)(...args);
    };
  }
  return lazy as unknown as FastifyBaseLogger;
};
