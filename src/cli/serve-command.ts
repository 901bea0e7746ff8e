import { type ConfigFlags, loadConfig } from "../config/load-config.ts";
import { startServer } from "../http/start-server.ts";
import { createStation } from "../station/create-station.ts";

/** `station serve`: load config, start, and shut down gracefully on SIGINT/SIGTERM. */
export async function serveCommand(flags: ConfigFlags): Promise<void> {
  const { config, file } = loadConfig(flags);
  const station = await createStation(config);
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer(station);
  } catch (error) {
    await station.close();
    throw error;
  }
  station.logger.info({ url: running.url, config: file ?? "(defaults)", dataDir: config.dataDir }, `Station listening on ${running.url}`);

  const shutdown = (signal: string) => {
    station.logger.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        station.logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}
