/** What the queue benches share: Station children, the test image, a webhook receiver, number format. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import sharp from "sharp";

export const fmt = (value: number, digits = 0): string =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export interface StationChild {
  port: number;
  pid: number;
  child: ChildProcess;
}

/**
 * Starts bench/queue/station-server.ts in its own process (so its CPU can be read from /proc)
 * and resolves once it listens. `extra` is merged into its config (the shared backends).
 */
export function startStationServer(options: {
  dataDir: string;
  cacheEntries: number;
  extra?: object;
  nodeArgs?: string[];
}): Promise<StationChild> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      path.join(import.meta.dirname, "station-server.ts"),
      options.dataDir,
      String(options.cacheEntries),
      JSON.stringify(options.extra ?? {}),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\d+)/.exec(output);
      if (match !== null) {
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        child.removeAllListeners("exit");
        resolve({ port: Number(match[1]), pid: child.pid as number, child });
      }
    });
    child.on("exit", (code) => reject(new Error(`station-server exited with ${code}`)));
  });
}

/** SIGTERM, then waits until each has exited. */
export async function stopStationServers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
}

/** The caption benches' image: a 64×64 PNG, base64. */
export async function benchImageBase64(): Promise<string> {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 90, g: 10, b: 200 } } })
    .png()
    .toBuffer();
  return png.toString("base64");
}

/** An HTTP receiver answering 200 to every webhook; `onDelivery` gets each body and when it arrived. */
export async function startBenchReceiver(onDelivery: (body: Buffer, at: number) => void): Promise<{ url: string; close(): void }> {
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = performance.now();
      response.end("ok");
      onDelivery(Buffer.concat(chunks), at);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    close() {
      receiver.closeAllConnections();
      receiver.close();
    },
  };
}
