import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { freePort, runStation, waitForHealth } from "./support/station-process.ts";

describe("graceful shutdown of bin/station serve", () => {
  let upstream: FakeOpenAiUpstream;
  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["slow-model"] });
  });
  afterAll(async () => upstream.close());

  it("finishes in-flight requests on SIGTERM, refuses new ones, then exits 0", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "station-shutdown-"));
    const configFile = path.join(directory, "station.yaml");
    writeFileSync(
      configFile,
      ["providers:", "  - id: up", "    type: openai", `    baseUrl: ${upstream.url}`, "    retry: { attempts: 1 }"].join("\n"),
    );
    const port = await freePort();
    const station = runStation(["serve", "--config", configFile, "--port", String(port), "--data-dir", directory]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, 10_000);

    upstream.script({ text: "finished despite the shutdown" });
    upstream.fail({ kind: "slow", delayMs: 1500 });
    const inFlight = fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up/slow-model", messages: [{ role: "user", content: "hi" }] }),
    });
    // Wait until the request has reached the upstream, then ask Station to stop.
    while (upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    station.child.kill("SIGTERM");

    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("finished despite the shutdown");
    expect(await station.exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
