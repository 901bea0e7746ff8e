import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRealtime, ofType } from "../realtime/realtime-client.ts";
import { boundedLocalVision, expectBusyPastTheBound } from "../support/bounded-local-vision.ts";
import { expectUnloadDuringCaption } from "../support/expect-unload-during-caption.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

const caption = "A red square on a white background";
// Long enough that a request is still generating while the test looks at /v1/system/ps.
const longText = `${"The boat drifts on the lake. ".repeat(7)}The end.`;

describe("local vision models: concurrency bound, unload, realtime, resilience", () => {
  let dataDir: string;
  let station: TestStation;
  let image: Buffer;

  const probe = residencyProbe(() => station.url);
  const { post, ps } = probe;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-local-vision-residency-"));
    const models = path.join(dataDir, "models");
    writeTinyFlorence2(path.join(models, "tiny-florence"), { text: caption });
    writeTinyFlorence2(path.join(models, "endless-florence"), { text: "and on", locations: [], endless: true });
    writeTinyFlorence2(path.join(models, "long-florence"), { text: longText, locations: [] });
    station = await startTestStation({
      dataDir,
      config: { providers: [boundedLocalVision(1000)] },
    });
    image = await solidPng(64, 48);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers 503 with Retry-After past the bound (1 running, 1 waiting), and serves again once they end", async () => {
    await expectBusyPastTheBound(probe, "vision/endless-florence", toDataUrl(image));
    const again = await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/tiny-florence" });
    expect(((await again.json()) as { caption: string }).caption).toBe(caption);
  });

  it("unloads a model while a request runs on it: the request finishes whole, then the model is gone", async () => {
    const loadedAt = await expectUnloadDuringCaption(probe, "vision/long-florence", toDataUrl(image), longText);
    // The next request loads it afresh (a new worker): the old one was released after the request.
    const next = await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/long-florence", length: "short" });
    expect(((await next.json()) as { caption: string }).caption).toBe(longText);
    const reloaded = await ps("vision/long-florence");
    expect(reloaded).toBeDefined();
    expect(reloaded?.loadedAt).not.toBe(loadedAt);
  });

  it("answers realtime frames with the local vision model as the session's model", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "session.update", session: { model: "vision/tiny-florence" } });
    expect((await client.next("session.updated")).session.model).toBe("vision/tiny-florence");
    client.send({ type: "image", event_id: "frame", image: toDataUrl(image) });
    await client.next("frame.accepted");
    client.send({ type: "text", event_id: "look", text: "What is in front of the camera?" });
    const events = await client.untilResponseDone();
    expect(ofType(events, "response.created")[0]?.frames).toBe(1);
    expect(ofType(events, "text.delta").length).toBeGreaterThan(0);
    expect(ofType(events, "response.done")[0]).toMatchObject({ status: "completed", text: caption });
    await client.close();
  });

  it("counts every local vision call in the resilience layer's provider metrics", async () => {
    const operations = async () => {
      const metrics = (await (await fetch(`${station.url}/v1/system/metrics`)).json()) as {
        providers: { id: string; operations: { operation: string; ok: number; error: number }[]; errorCodes: Record<string, number> }[];
      };
      const vision = metrics.providers.find((provider) => provider.id === "vision");
      return { byName: new Map(vision?.operations.map((entry) => [entry.operation, entry])), errorCodes: vision?.errorCodes ?? {} };
    };
    const before = await operations();
    await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/tiny-florence" });
    await post("/v1/detect", { image_url: toDataUrl(image), model: "vision/tiny-florence", object: "square" });
    await post("/v1/point", { image_url: toDataUrl(image), model: "vision/tiny-florence", object: "square" });
    const after = await operations();
    for (const operation of ["caption", "detect", "point"]) {
      expect(after.byName.get(operation)?.ok ?? 0).toBe((before.byName.get(operation)?.ok ?? 0) + 1);
    }
    // The 503 of the first test went through it too.
    expect(after.errorCodes.busy).toBeGreaterThanOrEqual(1);
  });
});

describe("closing the engine while a local vision model is generating", () => {
  it("interrupts the request, lets the worker release its sessions, and the process lives on", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "station-local-vision-shutdown-"));
    try {
      writeTinyFlorence2(path.join(dataDir, "models", "endless-florence"), { text: "and on", locations: [], endless: true });
      const station = await startTestStation({
        dataDir,
        config: {
          server: { shutdownTimeoutMs: 100 },
          providers: [{ id: "vision", type: "local-vision", maxNewTokens: 1000, retry: { attempts: 1 } }],
        },
      });
      const image = await solidPng(32, 32);
      const response = await fetch(`${station.url}/v1/caption`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image_url: toDataUrl(image), model: "vision/endless-florence", stream: true }),
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect((await reader.read()).done).toBe(false); // generating
      // Terminating the worker inside session.run would abort this very process (Napi::Error).
      await station.close({ keepDataDir: true });
      let ended = false;
      while (!ended)
        ended = await reader.read().then(
          ({ done }) => done,
          () => true,
        );
      expect(ended).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
