import os from "node:os";
import type { CaptionQueueStats } from "../jobs/caption-queue.ts";
import type { ProviderStatus } from "../models/model-registry.ts";
import type { EncodeCacheStats } from "../providers/spec/provider.ts";
import { type CpuSampler, type CpuUsage, createCpuSampler } from "./create-cpu-sampler.ts";
import type { ProviderCallReport } from "./metrics/create-gateway-metrics.ts";
import type { RequestRateReport } from "./metrics/create-request-counter.ts";
import type { GpuInfo, GpuReport } from "./read-gpu-info.ts";

export interface SystemMetricsSources {
  version: string;
  startedAt: number;
  requestRates(): RequestRateReport;
  providerCalls(): ProviderCallReport[];
  providerStatus(): ProviderStatus[];
  queueStats(): Promise<CaptionQueueStats>;
  /** Each local vision provider's encoded-image cache. */
  encodeCacheStats?(): EncodeCacheStats[];
  gpu(): Promise<GpuReport>;
  cpuSampler?: CpuSampler;
}

export interface SystemMetricsReport {
  timestamp: string;
  version: string;
  uptimeSeconds: number;
  host: { platform: string; arch: string; release: string; nodeVersion: string };
  cpu: CpuUsage & { model: string; cores: number; speedMHz: number; loadAverage: { "1m": number; "5m": number; "15m": number } };
  memory: {
    totalBytes: number;
    freeBytes: number;
    usedBytes: number;
    usedPercent: number;
    process: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; arrayBuffersBytes: number };
  };
  gpu: GpuInfo | null;
  gpuDetail: string;
  queue: CaptionQueueStats;
  visionEncodeCache: EncodeCacheStats;
  requests: RequestRateReport;
  providers: (Omit<ProviderStatus, "models"> & Omit<ProviderCallReport, "provider"> & { models: number })[];
}

/**
 * GET /v1/system/metrics: the host (CPU, memory, GPU when the local engine runs on one), the
 * caption queue, request rates and provider calls in one JSON document. Everything here is
 * read from counters Station already keeps or from cheap OS calls: no probing, no waiting.
 */
export function createSystemMetrics(sources: SystemMetricsSources): { collect(): Promise<SystemMetricsReport> } {
  const cpuSampler = sources.cpuSampler ?? createCpuSampler();
  return {
    async collect() {
      const [queue, gpu] = await Promise.all([sources.queueStats(), sources.gpu()]);
      const cpus = os.cpus();
      const [load1, load5, load15] = os.loadavg();
      const totalBytes = os.totalmem();
      const freeBytes = os.freemem();
      const memoryUsage = process.memoryUsage();
      const calls = new Map(sources.providerCalls().map((report) => [report.provider, report]));
      return {
        timestamp: new Date().toISOString(),
        version: sources.version,
        uptimeSeconds: Math.round((Date.now() - sources.startedAt) / 1000),
        host: { platform: os.platform(), arch: os.arch(), release: os.release(), nodeVersion: process.version },
        cpu: {
          model: cpus[0]?.model.trim() ?? "unknown",
          cores: os.availableParallelism(),
          speedMHz: cpus[0]?.speed ?? 0,
          loadAverage: { "1m": round(load1 ?? 0), "5m": round(load5 ?? 0), "15m": round(load15 ?? 0) },
          ...cpuSampler.read(),
        },
        memory: {
          totalBytes,
          freeBytes,
          usedBytes: totalBytes - freeBytes,
          usedPercent: totalBytes > 0 ? round(((totalBytes - freeBytes) / totalBytes) * 100) : 0,
          process: {
            rssBytes: memoryUsage.rss,
            heapUsedBytes: memoryUsage.heapUsed,
            heapTotalBytes: memoryUsage.heapTotal,
            externalBytes: memoryUsage.external,
            arrayBuffersBytes: memoryUsage.arrayBuffers,
          },
        },
        gpu: gpu.gpu,
        gpuDetail: gpu.detail,
        queue,
        visionEncodeCache: (sources.encodeCacheStats?.() ?? []).reduce(
          (sum, stats) => ({
            hits: sum.hits + stats.hits,
            misses: sum.misses + stats.misses,
            encoderRuns: sum.encoderRuns + stats.encoderRuns,
            promptHits: sum.promptHits + stats.promptHits,
            entries: sum.entries + stats.entries,
            capacity: sum.capacity + stats.capacity,
          }),
          { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 0 },
        ),
        requests: sources.requestRates(),
        providers: sources.providerStatus().map((status) => {
          const report = calls.get(status.id);
          return {
            id: status.id,
            type: status.type,
            status: status.status,
            ...(status.detail === undefined ? {} : { detail: status.detail }),
            models: status.models,
            calls: report?.calls ?? 0,
            errors: report?.errors ?? 0,
            cancelled: report?.cancelled ?? 0,
            inFlight: report?.inFlight ?? 0,
            operations: report?.operations ?? [],
            errorCodes: report?.errorCodes ?? {},
          };
        }),
      };
    },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
