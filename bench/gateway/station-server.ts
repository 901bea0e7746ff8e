/**
 * Child process: a real Station (default settings: request log at info, metrics on) with two
 * OpenAI-compatible providers. argv: <fastUpstreamPort> <slowUpstreamPort> <dataDir>. Reports "ready <port>" over IPC.
 */
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createStation } from "../../src/station/create-station.ts";

const config = parseConfig(
  {
    dataDir: process.argv[4],
    server: { port: 0 },
    ...(process.argv[5] === undefined ? {} : { logLevel: process.argv[5] }),
    providers: [
      { id: "fast", type: "openai", baseUrl: `http://127.0.0.1:${process.argv[2]}/v1` },
      { id: "slow", type: "openai", baseUrl: `http://127.0.0.1:${process.argv[3]}/v1` },
    ],
  },
  "bench config",
);
const running = await startServer(await createStation(config));
process.send?.(`ready ${new URL(running.url).port}`);
// Exit cleanly on SIGTERM so `--cpu-prof` can write its profile.
process.on("SIGTERM", () => void running.stop().finally(() => process.exit(0)));
