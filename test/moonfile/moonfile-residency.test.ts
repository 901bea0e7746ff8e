import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedLocalVision, expectBusyPastTheBound } from "../support/bounded-local-vision.ts";
import { expectUnloadDuringCaption } from "../support/expect-unload-during-caption.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

const words = ["and", "on"];
const maxNewTokens = 600;
/** What the endless model says in maxNewTokens tokens: the words over and over ("and on and onand on…": the first has no space). */
const endlessText = Array.from({ length: maxNewTokens }, (_, index) => (index % words.length === 0 ? words[0] : ` ${words[1]}`)).join("");

describe("a Moondream .mf under load: the request bound, client aborts and unload while running", () => {
  let dataDir: string;
  let station: TestStation;
  let image: Buffer;

  const probe = residencyProbe(() => station.url);
  const { post, ps } = probe;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-moonfile-residency-"));
    const models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    writeTinyMoonfile(path.join(models, "endless.mf"), { words, endless: true });
    station = await startTestStation({
      dataDir,
      config: { providers: [boundedLocalVision(maxNewTokens)] },
    });
    image = await solidPng(64, 48);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers 503 with Retry-After past the bound, and an aborted client frees the model", async () => {
    await expectBusyPastTheBound(probe, "vision/endless", toDataUrl(image));
    const points = await post("/v1/point", { image_url: toDataUrl(image), model: "vision/endless", object: "dot" });
    expect(((await points.json()) as { count: number }).count).toBe(3);
  });

  it("unloads the model while a request runs on it: the request finishes whole, then the worker is gone", async () => {
    const loadedAt = await expectUnloadDuringCaption(probe, "vision/endless", toDataUrl(image), endlessText);
    const next = await post("/v1/detect", { image_url: toDataUrl(image), model: "vision/endless", object: "dot" });
    expect(((await next.json()) as { objects: unknown[] }).objects).toHaveLength(2);
    expect((await ps("vision/endless"))?.loadedAt).not.toBe(loadedAt);
  });
});
