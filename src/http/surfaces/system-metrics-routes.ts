import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Station } from "../../station/station.ts";
import { backendHealthSchema } from "./backend-health-schema.ts";

const count = z.number().int().min(0);
const bytes = z.number().min(0);

const queueStats = z.object({
  queued: count,
  running: count,
  completed: count,
  failed: count,
  cancelled: count,
  capacity: count,
  concurrency: count,
  throughput: z.number().describe("completed jobs per second over the last minute"),
  completed_last_minute: count,
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  webhooks: z.object({ queued: count, running: count, delivered: count, failed: count }),
});

const routeRate = z.object({
  method: z.string(),
  route: z.string().describe('the route pattern, e.g. "/caption/job/:job_id"; "(no route)" for 404s'),
  total: count.describe("responses since start"),
  lastMinute: count.describe("responses within the window"),
  perSecond: z.number(),
  statuses: z.record(z.string(), count).describe('responses since start by status class: {"2xx": 10, "4xx": 1}'),
});

export const systemMetricsResponse = z.object({
  timestamp: z.string(),
  version: z.string(),
  uptimeSeconds: z.number(),
  host: z.object({ platform: z.string(), arch: z.string(), release: z.string(), nodeVersion: z.string() }),
  cpu: z.object({
    model: z.string(),
    cores: count,
    speedMHz: z.number(),
    loadAverage: z.object({ "1m": z.number(), "5m": z.number(), "15m": z.number() }),
    processPercent: z.number().min(0).describe("this process, % of one core over intervalSeconds (may exceed 100)"),
    systemPercent: z.number().min(0).max(100).describe("all cores busy, % of capacity over intervalSeconds"),
    intervalSeconds: z.number().min(0).describe("since the previous reading (readings less than 1 s apart repeat it)"),
  }),
  memory: z.object({
    totalBytes: bytes,
    freeBytes: bytes,
    usedBytes: bytes,
    usedPercent: z.number().min(0).max(100),
    process: z.object({ rssBytes: bytes, heapUsedBytes: bytes, heapTotalBytes: bytes, externalBytes: bytes, arrayBuffersBytes: bytes }),
  }),
  gpu: z
    .object({
      type: z.enum(["cuda", "vulkan", "metal"]),
      devices: z.array(z.string()),
      vram: z.object({ totalBytes: bytes, usedBytes: bytes, freeBytes: bytes, unifiedBytes: bytes }),
    })
    .nullable()
    .describe("null unless the local llama.cpp engine is running on a GPU; gpuDetail says why"),
  gpuDetail: z.string(),
  backends: backendHealthSchema.describe("the database and the queue's store: reachable, latency, pool use"),
  queue: queueStats.describe("the caption queue: the same figures as GET /caption/stats"),
  visionEncodeCache: z
    .object({ hits: count, misses: count, encoderRuns: count, promptHits: count, entries: count, capacity: count })
    .describe("local vision models: encoded images reused (hits) or computed (misses, encoderRuns), summed over providers"),
  requests: z.object({
    windowSeconds: z.number().describe("what lastMinute covers: 55-60 s once Station has run a minute"),
    total: count,
    lastMinute: count,
    perSecond: z.number(),
    routes: z.array(routeRate),
  }),
  providers: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      status: z.enum(["ok", "degraded", "down"]),
      detail: z.string().optional(),
      models: count,
      calls: count.describe("model calls since start (each retry or fallback attempt counts)"),
      errors: count,
      cancelled: count.describe("calls whose client went away first (not errors)"),
      inFlight: z.number().int(),
      operations: z.array(z.object({ operation: z.string(), ok: count, error: count, cancelled: count })),
      errorCodes: z.record(z.string(), count),
    }),
  ),
});

/** GET /v1/system/metrics: host, GPU, queue, request-rate and provider figures as JSON. */
export const systemMetricsRoutes: FastifyPluginAsync<{ station: Station }> = async (plainApp, { station }) => {
  const app = plainApp.withTypeProvider<ZodTypeProvider>();
  const { systemMetrics } = station;

  app.get(
    "/v1/system/metrics",
    {
      schema: {
        tags: ["system"],
        summary: "CPU, memory, GPU (when the local engine runs on one), caption queue, request rates, provider calls",
        response: { 200: systemMetricsResponse },
      },
    },
    async () => ({ ...(await systemMetrics.collect()), backends: await station.backends() }),
  );
};
