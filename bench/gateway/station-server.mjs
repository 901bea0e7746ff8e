/**
 * Child process: a real Station (default settings: request log at info, metrics on) with two
 * OpenAI-compatible providers. argv: <fastUpstreamPort> <slowUpstreamPort> <dataDir> [<logLevel>].
 * Reports "ready <port>" over IPC.
 *
 * Plain JavaScript, so one file serves both ways run.ts starts Station: the compiled build
 * (dist/, plain Node, as `npm start` runs it) by default, or the TypeScript sources with
 * STATION_BENCH_SOURCE=1 (run.ts then loads tsx into this process).
 */
const source = process.env.STATION_BENCH_SOURCE === "1";
const modulePath = (name) => (source ? `../../src/${name}.ts` : `../../dist/${name}.js`);
const { parseConfig } = await import(modulePath("config/load-config"));
const { startServer } = await import(modulePath("http/start-server"));
const { createStation } = await import(modulePath("station/create-station"));

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
// CPU time for the bench between rounds (as report-cpu-usage.ts does for the TypeScript children).
process.on("message", (message) => {
  if (message === "cpu-usage") process.send?.({ cpuUsage: process.cpuUsage() });
});
// Exit cleanly on SIGTERM so `--cpu-prof` can write its profile.
process.on("SIGTERM", () => void running.stop().finally(() => process.exit(0)));
