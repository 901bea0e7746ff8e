import type * as PromClient from "prom-client";
import type { Registry } from "prom-client";
import { requireBundled } from "../../bundled/require-bundled.ts";
import { createRequestCounter, type RequestRateReport } from "./create-request-counter.ts";
import { type HistogramSeries, PlainHistogram } from "./plain-histogram.ts";

const { Counter, collectDefaultMetrics, Gauge, Registry: PromRegistry } = requireBundled<typeof PromClient>("prom-client");

/** "cancelled": the caller's client went away; neither a success nor the provider's fault. */
export type CallOutcome = "ok" | "error" | "cancelled";

/** Per-provider call counters, kept cheap for the hot path (label children are cached). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** One finished model call (one attempt against one target). Errors count by code; cancels are not errors. */
  recordCall(providerId: string, operation: string, outcome: CallOutcome, seconds: number, errorCode?: string): void;
  /** Calls in flight per provider. */
  callStarted(providerId: string): void;
  callEnded(providerId: string): void;
  /** A finished HTTP response (route pattern, not the raw URL: bounded cardinality). */
  recordRequest(method: string, route: string, status: number): void;
  /** Request counts per route, since start and over the last minute (GET /v1/system/metrics). */
  requestRates(): RequestRateReport;
  /** Calls and errors per provider since start (GET /v1/system/metrics). */
  providerCalls(): ProviderCallReport[];
  /** Stops the timer behind the one-minute request window. */
  close(): void;
  /** Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

export interface ProviderCallReport {
  provider: string;
  calls: number;
  errors: number;
  inFlight: number;
  /** Client cancels per provider: not errors, and not counted in `errors`. */
  cancelled: number;
  operations: { operation: string; ok: number; error: number; cancelled: number }[];
  errorCodes: Record<string, number>;
}

interface CallStats {
  provider: string;
  operation: string;
  ok: number;
  error: number;
  cancelled: number;
  latency: HistogramSeries;
}

/**
 * Counts live in plain objects on the hot path and are copied into prom-client only when
 * /metrics is scraped: prom-client hashes and validates labels on every `inc`, which costs
 * more than the rest of a proxied request's bookkeeping together.
 */
export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new PromRegistry();
  // prom-client measures event-loop lag with a histogram timer that fires every 10 ms by default:
  // on an idle instance that alone cost 13–16 CPU-ms/s. Every 100 ms still sees any stall worth
  // reporting (the lag metrics are percentiles over minutes) for a third of that.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "station_", eventLoopMonitoringPrecision: 100 });
  // Found by provider, then operation: no key string made per call (recordCall runs for every one).
  const callStatsByProvider = new Map<string, Map<string, CallStats>>();
  const callStats: CallStats[] = [];
  const errorCounts = new Map<string, { provider: string; code: string; count: number }>();
  const inFlightCounts = new Map<string, number>();
  const requests = createRequestCounter();
  // The one-minute window is built from snapshots of the totals, so requests only increment.
  const snapshotTimer = setInterval(() => requests.tick(), 5_000);
  snapshotTimer.unref();

  new Counter({
    name: "station_provider_requests_total",
    help: "Calls to model providers, by provider, operation and outcome",
    labelNames: ["provider", "operation", "outcome"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stats of callStats) {
        if (stats.ok > 0) this.inc({ provider: stats.provider, operation: stats.operation, outcome: "ok" }, stats.ok);
        if (stats.error > 0) this.inc({ provider: stats.provider, operation: stats.operation, outcome: "error" }, stats.error);
        if (stats.cancelled > 0) this.inc({ provider: stats.provider, operation: stats.operation, outcome: "cancelled" }, stats.cancelled);
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
  const latency = new PlainHistogram(
    "station_provider_request_duration_seconds",
    "Duration of calls to model providers (streams: until the last chunk)",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registry,
  );
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
    help: "HTTP responses, by method, route pattern and status class",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of requests.entries()) {
        entry.byStatusClass.forEach((count, statusClass) => {
          if (count > 0) this.inc({ method: entry.method, route: entry.route, status: `${statusClass}xx` }, count);
        });
      }
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    recordCall(providerId, operation, outcome, seconds, errorCode) {
      let byOperation = callStatsByProvider.get(providerId);
      if (byOperation === undefined) {
        byOperation = new Map();
        callStatsByProvider.set(providerId, byOperation);
      }
      let stats = byOperation.get(operation);
      if (stats === undefined) {
        stats = {
          provider: providerId,
          operation,
          ok: 0,
          error: 0,
          cancelled: 0,
          latency: latency.seriesFor({ provider: providerId, operation }),
        };
        byOperation.set(operation, stats);
        callStats.push(stats);
      }
      stats[outcome]++;
      stats.latency.observe(seconds);
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
    recordRequest: requests.record,
    requestRates: () => requests.report(),
    providerCalls() {
      const reports = new Map<string, ProviderCallReport>();
      const reportFor = (provider: string): ProviderCallReport => {
        let report = reports.get(provider);
        if (report === undefined) {
          report = {
            provider,
            calls: 0,
            errors: 0,
            cancelled: 0,
            inFlight: inFlightCounts.get(provider) ?? 0,
            operations: [],
            errorCodes: {},
          };
          reports.set(provider, report);
        }
        return report;
      };
      for (const stats of callStats) {
        const report = reportFor(stats.provider);
        report.calls += stats.ok + stats.error + stats.cancelled;
        report.errors += stats.error;
        report.cancelled += stats.cancelled;
        report.operations.push({ operation: stats.operation, ok: stats.ok, error: stats.error, cancelled: stats.cancelled });
      }
      for (const entry of errorCounts.values()) reportFor(entry.provider).errorCodes[entry.code] = entry.count;
      for (const provider of inFlightCounts.keys()) reportFor(provider);
      return [...reports.values()].sort((a, b) => a.provider.localeCompare(b.provider));
    },
    close: () => clearInterval(snapshotTimer),
    text: () => registry.metrics(),
  };
}
