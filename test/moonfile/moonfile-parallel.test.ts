import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

describe("parallelRequests 2 on a local vision model: two workers, two requests really running at once", () => {
  let dataDir: string;
  let station: TestStation;
  let image: Buffer;
  let fileBytes: number;

  const { post, ps, until } = residencyProbe(() => station.url);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-vision-parallel-"));
    const models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    // Captions that never end by themselves: a request runs until its client goes.
    writeTinyMoonfile(path.join(models, "endless.mf"), { words: ["and", "on"], endless: true });
    fileBytes = statSync(path.join(models, "endless.mf")).size;
    station = await startTestStation({
      dataDir,
      config: {
        providers: [
          {
            id: "vision",
            type: "local-vision",
            parallelRequests: 2,
            maxQueue: 0,
            maxNewTokens: 4000,
            retry: { attempts: 1 },
            cooldown: { minimumCalls: 1000 },
          },
        ],
      },
    });
    image = await solidPng(64, 48);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("streams text to both requests while both run (one worker each), counts both copies, and refuses a third with 503", async () => {
    const controllers = [new AbortController(), new AbortController()];
    const streams = await Promise.all(
      controllers.map(async (controller) => {
        const response = await post(
          "/v1/caption",
          { image_url: toDataUrl(image), model: "vision/endless", stream: true },
          controller.signal,
        );
        expect(response.status).toBe(200);
        return (response.body as ReadableStream<Uint8Array>).getReader();
      }),
    );
    // Each stream delivers text while the other one is still running: neither waits for the other to end.
    for (let round = 0; round < 3; round++) {
      for (const reader of streams) {
        const { value, done } = await reader.read();
        expect(done).toBe(false);
        expect(new TextDecoder().decode(value)).toContain('"chunk"');
      }
    }
    const model = await ps("vision/endless");
    expect(model?.sequences).toEqual({ total: 2, busy: 2, waiting: 0 });
    const listed = ((await (await fetch(`${station.url}/v1/system/ps`)).json()) as { models: { id: string; sizeBytes: number }[] }).models;
    expect(listed.find((entry) => entry.id === "vision/endless")?.sizeBytes).toBe(2 * fileBytes);

    const third = await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/endless" });
    expect(third.status).toBe(503);

    for (const controller of controllers) controller.abort();
    await Promise.all(streams.map((reader) => reader.cancel().catch(() => undefined)));
    await until(async () => (await ps("vision/endless"))?.sequences.busy === 0, "both requests release their workers");
    const points = await post("/v1/point", { image_url: toDataUrl(image), model: "vision/endless", object: "dot" });
    expect(points.status).toBe(200);
  });
});
