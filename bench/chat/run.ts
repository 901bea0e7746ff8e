/**
 * Chat application benchmark, one run on this machine, rounds interleaved:
 *   npm run bench:chat [-- --quick]
 * Baselines measured in the same run:
 *   - an MCP tool call made straight with the official SDK client (stdio, server-everything `echo`);
 *   - a chat turn that needs no tool (SSE + SQLite persistence, instant scripted model).
 * Compared: the same tool call through Station's MCP registry, and a full one-tool chat turn
 * (model → MCP echo → model) over POST /api/chat/stream, latency at concurrency 1 and
 * throughput at concurrency 8 (autocannon). Prints ratios against the baselines.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import autocannon from "autocannon";
import { Pool } from "undici";
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import { createStation } from "../../src/station/create-station.ts";
import { createScriptedChatProvider, lastMessage } from "../../test/support/chat-scripted-provider.ts";
import { benchArguments } from "../bench-arguments.ts";

const quick = benchArguments({ quick: { type: "boolean" } }).values.quick === true;
const rounds = quick ? 2 : 4;
const callsPerRound = quick ? 150 : 400;
const turnsPerRound = quick ? 40 : 120;
const throughputSeconds = quick ? 2 : 4;
const everythingBin = path.resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol/server-everything/dist/index.js");

const provider = createScriptedChatProvider("bench", (request, index) => {
  // The benchmark must not keep every request in memory.
  provider.requests.length = 0;
  const last = lastMessage(request);
  if (last?.role === "tool") return { text: "The tool answered." };
  return typeof last?.content === "string" && last.content.startsWith("tool")
    ? { toolCalls: [{ id: `call_${index}`, name: "everything__echo", arguments: { message: "bench" } }] }
    : { text: "A short answer without tools." };
});

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function time(count: number, run: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-bench-chat-"));
  const config = parseConfig(
    {
      providers: [],
      dataDir,
      logLevel: "silent",
      server: { port: 0 },
      defaults: { chatModel: "bench/scripted" },
      mcp: { servers: [{ id: "everything", command: process.execPath, args: [everythingBin, "stdio"] }] },
    },
    "bench",
  );
  const station = await createStation(config, { logger: createLogger("silent"), providers: [provider] });
  const server = await startServer(station);
  const direct = new Client({ name: "bench-direct", version: "0" });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [everythingBin, "stdio"], stderr: "ignore" }));
  const pool = new Pool(server.url, { connections: 1 });

  const turn = async (message: string): Promise<void> => {
    const response = await pool.request({
      method: "POST",
      path: "/api/chat/stream",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "bench", message }),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || !text.includes("event: done"))
      throw new Error(`turn failed: ${response.statusCode} ${text.slice(0, 300)}`);
  };

  const samples = { direct: [] as number[], registry: [] as number[], plainTurn: [] as number[], toolTurn: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    samples.direct.push(
      ...(await time(callsPerRound, async () => void (await direct.callTool({ name: "echo", arguments: { message: "bench" } })))),
    );
    samples.registry.push(
      ...(await time(callsPerRound, async () => {
        const outcome = await station.mcp.callTool("everything__echo", JSON.stringify({ message: "bench" }));
        if (outcome.isError) throw new Error(outcome.text);
      })),
    );
    samples.plainTurn.push(...(await time(turnsPerRound, () => turn("hello"))));
    samples.toolTurn.push(...(await time(turnsPerRound, () => turn("tool please"))));
  }

  const throughput = async (message: string): Promise<number> => {
    const result = await autocannon({
      url: `${server.url}/api/chat/stream`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "bench", message }),
      connections: 8,
      duration: throughputSeconds,
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`throughput run had ${result.non2xx} non-2xx and ${result.errors} errors`);
    return result.requests.average;
  };
  const plainRps = await throughput("hello");
  const toolRps = await throughput("tool please");

  const row = (name: string, values: number[], baseline?: number[]) => {
    const p50 = percentile(values, 0.5);
    const p99 = percentile(values, 0.99);
    const ratio = baseline === undefined ? "baseline" : `${(p50 / percentile(baseline, 0.5)).toFixed(2)}x p50`;
    console.log(`${name.padEnd(44)} p50 ${p50.toFixed(3).padStart(8)} ms   p99 ${p99.toFixed(3).padStart(8)} ms   ${ratio}`);
  };
  console.log(`\nchat benchmark (${rounds} interleaved rounds, node ${process.version}, ${process.platform}/${process.arch})`);
  row("MCP echo, SDK client direct (stdio)", samples.direct);
  row("MCP echo through Station's registry", samples.registry, samples.direct);
  row("chat turn, no tool (SSE + SQLite)", samples.plainTurn);
  row("chat turn, one MCP tool round", samples.toolTurn, samples.plainTurn);
  const floor = percentile(samples.plainTurn, 0.5) + percentile(samples.direct, 0.5);
  console.log(
    `one-tool turn vs (plain turn + direct MCP call): ${(percentile(samples.toolTurn, 0.5) / floor).toFixed(2)}x p50 ` +
      `(the second model round and three more stored messages account for the rest)`,
  );
  console.log(
    `throughput at concurrency 8: plain ${plainRps.toFixed(0)} turns/s, one-tool ${toolRps.toFixed(0)} turns/s (${(toolRps / plainRps).toFixed(2)}x)`,
  );

  await pool.close();
  await direct.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
