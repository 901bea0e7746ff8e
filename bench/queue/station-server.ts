/**
 * Station for the queue benches, in its own process: an instant vision provider and an instant
 * scripted chat model (bench/scripted, the default), concurrency 16, room for every job.
 * Prints "ready <port>" once listening.
 *   node --import tsx bench/queue/station-server.ts <dataDir> <cacheEntries> [<extra config JSON>]
 * The optional JSON (e.g. `{"storage":{...},"queue":{...}}`) selects the shared backends.
 */
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import { createStation } from "../../src/station/create-station.ts";
import { createScriptedChatProvider } from "../../test/support/chat-scripted-provider.ts";
import { createInstantVisionProvider } from "./instant-vision-provider.ts";

const [dataDir = "./.bench-queue", cacheEntries = "64", extra = "{}"] = process.argv.slice(2);
const shared = JSON.parse(extra) as { storage?: Record<string, unknown>; queue?: Record<string, unknown> };
const config = parseConfig(
  {
    dataDir,
    logLevel: "warn",
    providers: [],
    server: { port: 0 },
    ...(shared.storage === undefined ? {} : { storage: shared.storage }),
    queue: { concurrency: 16, capacity: 1_000_000, ...shared.queue },
    webhooks: { concurrency: 16, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    vision: { cacheEntries: Number(cacheEntries) },
    security: { allowPrivateNetworks: true },
    defaults: { chatModel: "bench/scripted" },
  },
  "bench config",
);
const chat = createScriptedChatProvider("bench", () => {
  // The bench must not keep every request in memory.
  chat.requests.length = 0;
  return { text: "An instant answer." };
});
const station = await createStation(config, { logger: createLogger("warn"), providers: [createInstantVisionProvider(), chat] });
const running = await startServer(station);
process.stdout.write(`ready ${new URL(running.url).port}\n`);
process.once("SIGTERM", () => {
  running.stop().then(() => process.exit(0));
});
