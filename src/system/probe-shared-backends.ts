import type { StationConfig } from "../config/schema.ts";
import { redactUrl } from "../storage/redact-url.ts";

/** One line of the report (the shape of diagnostics.ts's DiagnosticCheck; declared here so neither imports the other). */
interface DiagnosticCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
}

/** `station doctor`: PostgreSQL and Redis answer (shared mode only); the URLs shown without passwords. */
export async function probeSharedBackends(config: StationConfig): Promise<DiagnosticCheck[]> {
  const checks: DiagnosticCheck[] = [];
  const { storage, queue } = config;
  if (storage.backend === "postgres" && storage.url !== undefined) {
    try {
      const { openPostgresDatabase } = await import("../storage/open-postgres-database.ts");
      const database = await openPostgresDatabase({ url: storage.url, poolSize: 1 });
      const health = await database.health();
      await database.close();
      checks.push({ name: "storage", status: "ok", detail: `PostgreSQL at ${redactUrl(storage.url)} answers (${health.latencyMs} ms)` });
    } catch (error) {
      checks.push({ name: "storage", status: "fail", detail: (error as Error).message });
    }
  } else {
    checks.push({ name: "storage", status: "ok", detail: "SQLite in the data dir (embedded)" });
  }
  if (queue.backend === "bullmq" && queue.redisUrl !== undefined) {
    try {
      const { connectRedis } = await import("../jobs/connect-redis.ts");
      const redis = await connectRedis(queue.redisUrl);
      const ping = await redis.ping();
      await redis.close();
      checks.push({
        name: "queue",
        status: "ok",
        detail: `Redis at ${redactUrl(queue.redisUrl)} answers (${ping.latencyMs} ms), prefix '${queue.prefix}'`,
      });
    } catch (error) {
      checks.push({ name: "queue", status: "fail", detail: (error as Error).message });
    }
  } else {
    checks.push({ name: "queue", status: "ok", detail: "SQLite queue in the data dir (embedded)" });
  }
  return checks;
}
