import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type CallOutcome = "ok" | "error";

/** Per-provider call counters, kept cheap for the hot path (label children are cached). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** One finished model call (one attempt against one target). */
  recordCall(providerId: string, operation: string, outcome: CallOutcome, seconds: number, errorCode?: string): void;
  /** Calls in flight per provider. */
  callStarted(providerId: string): void;
  callEnded(providerId: string): void;
  /** An HTTP request to a Station surface (route pattern, not the raw URL: bounded cardinality). */
  recordRequest(route: string, status: number, seconds: number): void;
  /** Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "station_" });
  const calls = new Counter({
    name: "station_provider_requests_total",
    help: "Calls to model providers, by provider, operation and outcome",
    labelNames: ["provider", "operation", "outcome"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "station_provider_errors_total",
    help: "Failed calls to model providers, by provider and error code",
    labelNames: ["provider", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "station_provider_request_duration_seconds",
    help: "Duration of calls to model providers (streams: until the last chunk)",
    labelNames: ["provider", "operation"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "station_provider_requests_in_flight",
    help: "Calls to model providers in progress",
    labelNames: ["provider"] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: "station_http_requests_total",
    help: "HTTP requests served, by route and status class",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const requestLatency = new Histogram({
    name: "station_http_request_duration_seconds",
    help: "HTTP request duration by route",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });

  // prom-client hashes label values on every call; caching the children keeps it to a Map hit.
  const cache = new Map<string, { inc(value?: number): void; observe?(value: number): void; dec?(value?: number): void }>();
  const child = <T>(key: string, make: () => T): T => {
    let found = cache.get(key) as T | undefined;
    if (found === undefined) {
      found = make();
      cache.set(key, found as never);
    }
    return found;
  };

  return {
    registry,
    contentType: registry.contentType,
    recordCall(providerId, operation, outcome, seconds, errorCode) {
      child(`c|${providerId}|${operation}|${outcome}`, () => calls.labels(providerId, operation, outcome)).inc();
      child(`l|${providerId}|${operation}`, () => latency.labels(providerId, operation)).observe(seconds);
      if (outcome === "error") child(`e|${providerId}|${errorCode}`, () => errors.labels(providerId, errorCode ?? "unknown")).inc();
    },
    callStarted(providerId) {
      child(`f|${providerId}`, () => inFlight.labels(providerId)).inc();
    },
    callEnded(providerId) {
      child(`f|${providerId}`, () => inFlight.labels(providerId)).dec();
    },
    recordRequest(route, status, seconds) {
      const statusClass = `${Math.floor(status / 100)}xx`;
      child(`r|${route}|${statusClass}`, () => requests.labels(route, statusClass)).inc();
      child(`rl|${route}`, () => requestLatency.labels(route)).observe(seconds);
    },
    text: () => registry.metrics(),
  };
}
