import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import { createStation } from "../../src/station/create-station.ts";

export interface VisionBenchStation {
  /** POST /v1/caption: the caption of one PNG. */
  caption(png: Buffer): Promise<string>;
  /** Milliseconds from a streamed POST /v1/caption to its first non-empty caption piece. */
  firstPiece(png: Buffer, length?: "short" | "normal"): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Station in this process with one local-vision provider over `<dataDir>/models` (2 requests at
 * once), and the HTTP client the vision benches time it with.
 */
export async function startVisionBenchStation(dataDir: string, threads: number): Promise<VisionBenchStation> {
  const config = parseConfig({
    dataDir,
    server: { port: 0 },
    logLevel: "silent",
    providers: [{ id: "vision", type: "local-vision", threads, parallelRequests: 2 }],
  });
  const station = await createStation(config, { logger: createLogger("silent") });
  const server = await startServer(station);
  const post = (route: string, body: Record<string, unknown>) =>
    fetch(`${server.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const imageUrl = (png: Buffer) => `data:image/png;base64,${png.toString("base64")}`;
  return {
    async caption(png) {
      const response = await post("/v1/caption", { image_url: imageUrl(png), length: "short" });
      return ((await response.json()) as { caption: string }).caption;
    },
    async firstPiece(png, length = "short") {
      const begin = performance.now();
      const response = await post("/v1/caption", { image_url: imageUrl(png), length, stream: true });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      let at: number | undefined;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (at === undefined && /"chunk":"[^"]+/.test(text)) at = performance.now() - begin;
      }
      return at ?? performance.now() - begin;
    },
    stop: () => server.stop(),
  };
}
