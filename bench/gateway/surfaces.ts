/**
 * The drop-in surfaces (Anthropic Messages, Responses, Ollama chat, legacy completions) against
 * Station's own /v1/chat/completions, all through one Station to the same fast fake upstream:
 * added p50 at concurrency 1, throughput at concurrency 16 (paired rounds), and the streaming
 * first chunk as a share of the stream's duration (unbuffered means far below 100 %).
 */
import autocannon from "autocannon";
import { Pool } from "undici";

export interface Surface {
  name: string;
  path: string;
  body(model: string, stream: boolean): string;
  /** A streamed reply is complete when its text contains this. */
  end: string;
}

const system = "You are a concise assistant.";
const user = "Say something about foxes and dogs, please.";

export const surfaces: Surface[] = [
  {
    name: "openai chat",
    path: "/v1/chat/completions",
    body: (model, stream) =>
      JSON.stringify({
        model,
        messages: [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
        temperature: 0.2,
        ...(stream ? { stream } : {}),
      }),
    end: "[DONE]",
  },
  {
    name: "anthropic",
    path: "/v1/messages",
    body: (model, stream) =>
      JSON.stringify({
        model,
        max_tokens: 256,
        system,
        messages: [{ role: "user", content: user }],
        temperature: 0.2,
        ...(stream ? { stream } : {}),
      }),
    end: "message_stop",
  },
  {
    name: "responses",
    path: "/v1/responses",
    // store: false, so the figure is the relay's; storing adds one SQLite insert per response.
    body: (model, stream) =>
      JSON.stringify({ model, instructions: system, input: user, temperature: 0.2, store: false, ...(stream ? { stream } : {}) }),
    end: "response.completed",
  },
  {
    name: "ollama chat",
    path: "/api/chat",
    body: (model, stream) =>
      JSON.stringify({
        model,
        messages: [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
        options: { temperature: 0.2 },
        stream,
      }),
    end: '"done":true',
  },
  {
    name: "completions",
    path: "/v1/completions",
    body: (model, stream) => JSON.stringify({ model, prompt: user, max_tokens: 64, temperature: 0.2, ...(stream ? { stream } : {}) }),
    end: "[DONE]",
  },
];

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** One request per surface in turn, so drift in the machine's load hits every surface alike. */
async function interleavedLatencies(port: number, model: string, count: number): Promise<Map<string, number[]>> {
  const pools = surfaces.map(() => new Pool(`http://127.0.0.1:${port}`, { connections: 1 }));
  const samples = new Map<string, number[]>(surfaces.map((surface) => [surface.name, []]));
  const payloads = surfaces.map((surface) => surface.body(model, false));
  for (let index = 0; index < count; index++) {
    for (const [position, surface] of surfaces.entries()) {
      const started = process.hrtime.bigint();
      const response = await (pools[position] as Pool).request({
        method: "POST",
        path: surface.path,
        headers: { "content-type": "application/json" },
        body: payloads[position] as string,
      });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${surface.name} answered ${response.statusCode}`);
      samples.get(surface.name)?.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  await Promise.all(pools.map((pool) => pool.close()));
  return samples;
}

async function throughput(
  port: number,
  surface: Surface,
  model: string,
  seconds: number,
  cpu: () => number | undefined,
): Promise<{ rps: number; cpu: number | undefined }> {
  const before = cpu();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${surface.path}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: surface.body(model, false),
    connections: 16,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${surface.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const after = cpu();
  return {
    rps: result.requests.average,
    cpu: before === undefined || after === undefined ? undefined : (after - before) / result.requests.total,
  };
}

async function firstChunkShare(port: number, surface: Surface, model: string, count: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  const shares: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    const response = await pool.request({
      method: "POST",
      path: surface.path,
      headers: { "content-type": "application/json" },
      body: surface.body(model, true),
    });
    let first: number | undefined;
    let text = "";
    for await (const chunk of response.body) {
      first ??= Number(process.hrtime.bigint() - started);
      text += chunk.toString();
    }
    if (!text.includes(surface.end)) throw new Error(`${surface.name}: stream did not finish`);
    shares.push((first ?? Number.NaN) / Number(process.hrtime.bigint() - started));
  }
  await pool.close();
  return percentile(shares, 50);
}

export interface SurfaceBenchOptions {
  port: number;
  model: string;
  slowModel: string;
  rounds: number;
  latencyRequests: number;
  throughputSeconds: number;
  streamRequests: number;
  /** Station's CPU time so far in µs (from /proc), undefined where it cannot be read. */
  cpuMicros(): number | undefined;
}

export async function benchSurfaces(options: SurfaceBenchOptions): Promise<void> {
  const { port, model, rounds } = options;
  await interleavedLatencies(port, model, 200);
  const samples = await interleavedLatencies(port, model, rounds * options.latencyRequests);
  for (const surface of surfaces) await throughput(port, surface, model, 1, options.cpuMicros);
  const rps = new Map<string, number[]>(surfaces.map((surface) => [surface.name, []]));
  const cpus = new Map<string, number[]>(surfaces.map((surface) => [surface.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Each round starts at the next surface, so no surface always runs first (or right after the same one).
    const order = surfaces.map((_, index) => surfaces[(index + round) % surfaces.length] as Surface);
    for (const surface of order) {
      const run = await throughput(port, surface, model, options.throughputSeconds, options.cpuMicros);
      rps.get(surface.name)?.push(run.rps);
      if (run.cpu !== undefined) cpus.get(surface.name)?.push(run.cpu);
    }
  }
  const cpuOf = (name: string): number => median(cpus.get(name) ?? []);
  const baseline = surfaces[0] as Surface;
  const baseP50 = percentile(samples.get(baseline.name) ?? [], 50);
  const baseRps = rps.get(baseline.name) ?? [];
  console.log("\ndrop-in surfaces vs Station's own /v1/chat/completions (same Station, same fast upstream)");
  console.log(
    "  surface        p50        added p50   req/s (c16)  % of chat (median of paired rounds)   CPU/request (% of chat)   stream first chunk",
  );
  for (const surface of surfaces) {
    const p50 = percentile(samples.get(surface.name) ?? [], 50);
    const runs = rps.get(surface.name) ?? [];
    const ratios = runs.map((value, round) => value / (baseRps[round] as number));
    const mean = runs.reduce((sum, value) => sum + value, 0) / runs.length;
    const share = await firstChunkShare(port, surface, options.slowModel, options.streamRequests);
    console.log(
      `  ${surface.name.padEnd(13)}  ${p50.toFixed(3)} ms  ${surface === baseline ? "     —    " : `+${(p50 - baseP50).toFixed(3)} ms`}  ${mean.toFixed(0).padStart(8)}     ${(median(ratios) * 100).toFixed(1).padStart(6)} % (${ratios.map((ratio) => (ratio * 100).toFixed(0)).join(", ")})` +
        `   ${cpuOf(surface.name).toFixed(0).padStart(5)} µs (${((cpuOf(surface.name) / cpuOf(baseline.name)) * 100).toFixed(0)} %)` +
        `   at ${(share * 100).toFixed(1)} % of the stream`,
    );
  }
  console.log("  targets: added p50 ≤ 0.25 ms and throughput ≥ 90 % of /v1/chat/completions; first chunk far below 100 % (unbuffered)");
}
