/**
 * Child process: station-server.ts on the production build (dist/, `npm run build`), run by
 * plain Node with no tsx loader, as `npm start` runs Station. Same argv and IPC as station-server.ts.
 */
import { parseConfig } from "../../dist/config/load-config.js";
import { startServer } from "../../dist/http/start-server.js";
import { createStation } from "../../dist/station/create-station.js";

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
process.on("SIGTERM", () => void running.stop().finally(() => process.exit(0)));
