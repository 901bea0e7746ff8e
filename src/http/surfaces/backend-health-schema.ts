import { z } from "zod";

/** The database and the queue's store as /health and /v1/system/metrics report them. */
export const backendHealthSchema = z.object({
  storage: z.object({
    backend: z.enum(["sqlite", "postgres"]),
    reachable: z.boolean(),
    latencyMs: z.number().nullable(),
    pool: z
      .object({ size: z.number(), max: z.number(), idle: z.number(), waiting: z.number() })
      .optional()
      .describe("PostgreSQL connections"),
    error: z.string().optional(),
  }),
  queue: z.object({
    backend: z.enum(["sqlite", "bullmq"]),
    reachable: z.boolean(),
    latencyMs: z.number().nullable(),
    error: z.string().optional(),
  }),
});
