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
  recordRequest(route: string, status: number): void;
  /** Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

interface CallStats {
  provider: string;
  operation: string;
  ok: number;
  error: number;
}

/**
 * Counts live in plain objects on the hot path and are copied into prom-client only when
 * /metrics is scraped: prom-client hashes and validates labels on every `inc`, which costs
 * more than the rest of a proxied request's bookkeeping together.
 */
export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "station_" });
  const callStats = new Map<string, CallStats>();
  const errorCounts = new Map<string, { provider: string; code: string; count: number }>();
  const inFlightCounts = new Map<string, number>();
  const requestCounts = new Map<string, { route: string; status: string; count: number }>();

  new Counter({
    name: "station_provider_requests_total",
    help: "Calls to model providers, by provider, operation and outcome",
    labelNames: ["provider", "operation", "outcome"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stats of callStats.values()) {
        if (stats.ok > 0) this.inc({ provider: stats.provider, operation: stats.operation, outcome: "ok" }, stats.ok);
        if (stats.error > 0) this.inc({ provider: stats.provider, operation: stats.operation, outcome: "error" }, stats.error);
      }
    },
  });
  new Counter({
    name: "station_provider_errors_total",
    help: "Failed calls to model providers, by provider and error code",
    labelNames: ["provider", "code"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of errorCounts.values()) this.inc({ provider: entry.provider, code: entry.code }, entry.count);
    },
  });
  const latency = new Histogram({
    name: "station_provider_request_duration_seconds",
    help: "Duration of calls to model providers (streams: until the last chunk)",
    labelNames: ["provider", "operation"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "station_provider_requests_in_flight",
    help: "Calls to model providers in progress",
    labelNames: ["provider"] as const,
    registers: [registry],
    collect() {
      for (const [provider, count] of inFlightCounts) this.set({ provider }, count);
    },
  });
  new Counter({
    name: "station_http_requests_total",
    help: "HTTP requests served by the OpenAI-compatible API, by route and status class",
    labelNames: ["route", "status"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of requestCounts.values()) this.inc({ route: entry.route, status: entry.status }, entry.count);
    },
  });

  // prom-client hashes the labels on every observe(labels, value); a label child does not.
  const latencyChildren = new Map<string, { observe(seconds: number): void }>();

  return {
    registry,
    contentType: registry.contentType,
    recordCall(providerId, operation, outcome, seconds, errorCode) {
      const key = `${providerId}\u0000${operation}`;
      let stats = callStats.get(key);
      if (stats === undefined) {
        stats = { provider: providerId, operation, ok: 0, error: 0 };
        callStats.set(key, stats);
        latencyChildren.set(key, latency.labels({ provider: providerId, operation }));
      }
      stats[outcome]++;
      latencyChildren.get(key)?.observe(seconds);
      if (outcome === "error") {
        const code = errorCode ?? "unknown";
        const errorKey = `${providerId}\u0000${code}`;
        const entry = errorCounts.get(errorKey);
        if (entry === undefined) errorCounts.set(errorKey, { provider: providerId, code, count: 1 });
        else entry.count++;
      }
    },
    callStarted(providerId) {
      inFlightCounts.set(providerId, (inFlightCounts.get(providerId) ?? 0) + 1);
    },
    callEnded(providerId) {
      inFlightCounts.set(providerId, (inFlightCounts.get(providerId) ?? 1) - 1);
    },
    recordRequest(route, status) {
      const statusClass = `${Math.floor(status / 100)}xx`;
      const key = `${route}\u0000${statusClass}`;
      const entry = requestCounts.get(key);
      if (entry === undefined) requestCounts.set(key, { route, status: statusClass, count: 1 });
      else entry.count++;
    },
    text: () => registry.metrics(),
  };
}
