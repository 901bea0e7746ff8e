import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../src/config/load-config.ts";
import { startServer } from "../src/http/start-server.ts";
import { createLogger } from "../src/logging/create-logger.ts";
import { createStation } from "../src/station/create-station.ts";

describe("the request log", () => {
  it("writes one line per request: id, method, path without its query, status, duration", async () => {
    let text = "";
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        text += chunk.toString();
        callback();
      },
    });
    const dataDir = mkdtempSync(path.join(tmpdir(), "station-request-log-"));
    const config = parseConfig({ dataDir, providers: [], server: { port: 0 } });
    const running = await startServer(await createStation(config, { logger: createLogger("info", stream) }));
    try {
      const response = await fetch(`${running.url}/health?verbose=1`, { headers: { "x-request-id": "trace-42" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toBe("trace-42");
      await response.text();
      // Written once the response has finished, which may be just after the client read it.
      const lines = await vi.waitFor(() => {
        const found = text
          .split("\n")
          .filter((line) => line.includes('"msg":"request"'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(found).toHaveLength(1);
        return found;
      });
      expect(lines[0]).toMatchObject({ level: 30, reqId: "trace-42", method: "GET", url: "/health", status: 200 });
      expect(typeof lines[0]?.durationMs).toBe("number");
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
