import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { GenerationTiming } from "./direct-generation.ts";

export interface StationServer {
  url: string;
  pid: number;
  generate(prompt: string, maxTokens: number): Promise<GenerationTiming>;
  /** Peak resident memory of the server process (VmHWM), bytes. */
  peakRssBytes(): number;
  /** CPU time the server process has used so far (user + system), ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** `bin/station serve` in a child process, the way users run it, with a llamacpp provider on one models dir. */
export async function startStationServer(options: { dataDir: string; threads: number; contextSize: number }): Promise<StationServer> {
  const port = await freePort();
  const configPath = path.join(options.dataDir, "bench-config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      dataDir: options.dataDir,
      logLevel: "warn",
      server: { port },
      providers: [
        {
          id: "local",
          type: "llamacpp",
          threads: options.threads,
          contextSize: options.contextSize,
          keepAliveMs: -1,
          retry: { attempts: 1 },
        },
      ],
    }),
  );
  const child: ChildProcess = spawn(process.execPath, [path.join(process.cwd(), "bin/station"), "serve", "--config", configPath], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (attempt > 600) throw new Error("Station did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    pid: child.pid ?? 0,
    async generate(prompt, maxTokens) {
      const started = performance.now();
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "local/bench",
          messages: [{ role: "user", content: prompt }],
          max_tokens: maxTokens,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      if (!response.ok || response.body === null) throw new Error(`Station answered ${response.status}: ${await response.text()}`);
      let first: number | undefined;
      let last = started;
      let usage = { prompt_tokens: 0, completion_tokens: 0 };
      let buffered = "";
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let boundary = buffered.indexOf("\n\n");
        while (boundary >= 0) {
          const event = buffered.slice(0, boundary);
          buffered = buffered.slice(boundary + 2);
          boundary = buffered.indexOf("\n\n");
          const data = event.startsWith("data: ") ? event.slice(6) : "";
          if (data === "" || data === "[DONE]") continue;
          const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: typeof usage };
          if (parsed.choices?.[0]?.delta?.content) {
            last = performance.now();
            first ??= last;
          }
          if (parsed.usage) usage = parsed.usage;
        }
      }
      return {
        ttftMs: (first ?? last) - started,
        totalMs: last - started,
        completionTokens: usage.completion_tokens,
        promptTokens: usage.prompt_tokens,
      };
    },
    peakRssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    cpuMs() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
