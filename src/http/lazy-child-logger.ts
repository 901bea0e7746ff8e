import type { FastifyBaseLogger, RawServerDefault } from "fastify";
import type { FastifyChildLoggerFactory } from "fastify/types/logger.js";

type Bindings = Record<string, unknown>;
type Options = Parameters<FastifyBaseLogger["child"]>[1];
type LogMethod = (...args: unknown[]) => void;

/**
 * Fastify's per-request child logger, built on first use. Fastify makes a pino child for every
 * request (binding its id); most requests never log through it (the request line is written
 * from the root logger with the id as a field), and pino children are not free.
 */
class LazyChildLogger {
  private built: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly childBindings: Bindings,
    private readonly options: Options,
  ) {}

  get level(): string {
    return this.built?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.log("fatal", args);
  }
  error(...args: unknown[]): void {
    this.log("error", args);
  }
  warn(...args: unknown[]): void {
    this.log("warn", args);
  }
  info(...args: unknown[]): void {
    this.log("info", args);
  }
  debug(...args: unknown[]): void {
    this.log("debug", args);
  }
  trace(...args: unknown[]): void {
    this.log("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: Options): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  bindings(): Bindings {
    return { ...(this.parent as unknown as { bindings(): Bindings }).bindings(), ...this.childBindings };
  }

  isLevelEnabled(level: string): boolean {
    return (this.parent as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(level);
  }

  private log(level: "fatal" | "error" | "warn" | "info" | "debug" | "trace", args: unknown[]): void {
    if (this.built === undefined && !this.isLevelEnabled(level)) return;
    (this.real()[level] as LogMethod)(...args);
  }

  private real(): FastifyBaseLogger {
    this.built ??= this.parent.child(this.childBindings, this.options);
    return this.built;
  }
}

export const lazyChildLogger: FastifyChildLoggerFactory<RawServerDefault> = (logger, bindings, options) =>
  new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
