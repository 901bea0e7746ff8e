import { ConfigError } from "./config-error.ts";
import type { StationConfig } from "./schema.ts";

/**
 * The rules that span keys: a shared backend needs its URL, PostgreSQL and Redis go together
 * (state in one, jobs in the other: every instance must see both), and in shared mode the
 * webhook secret must come from the config, since no instance may invent one the others lack.
 */
export function validateSharedBackends(config: StationConfig, source: string): void {
  const problems: string[] = [];
  const { storage, queue } = config;
  if (storage.backend === "postgres" && storage.url === undefined) {
    problems.push("key 'storage.url': required when storage.backend is postgres (or set STATION_DATABASE_URL)");
  }
  if (queue.backend === "bullmq" && queue.redisUrl === undefined) {
    problems.push("key 'queue.redisUrl': required when queue.backend is bullmq (or set STATION_REDIS_URL)");
  }
  if (storage.backend === "postgres" && queue.backend !== "bullmq") {
    problems.push(
      "key 'queue.backend': must be bullmq when storage.backend is postgres (the sqlite queue lives in one instance's file; set queue.redisUrl or STATION_REDIS_URL)",
    );
  }
  if (queue.backend === "bullmq" && storage.backend !== "postgres") {
    problems.push(
      "key 'storage.backend': must be postgres when queue.backend is bullmq (every instance must share the state too; set storage.url or STATION_DATABASE_URL)",
    );
  }
  if (storage.backend === "postgres" && (config.webhooks.secret === undefined || config.webhooks.secret === "")) {
    problems.push(
      "key 'webhooks.secret': required with shared backends (every instance must sign with the same whsec_... secret; e.g. ${STATION_WEBHOOK_SECRET})",
    );
  }
  if (problems.length > 0) throw new ConfigError(`${source}: invalid configuration\n  - ${problems.join("\n  - ")}`);
}
