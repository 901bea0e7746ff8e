import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { vl } from "moondream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

describe("a Moondream .mf.gz dropped into the models directory by hand", () => {
  let dataDir: string;
  let models: string;
  let station: TestStation;
  let image: Buffer;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-moonfile-gz-"));
    models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    writeTinyMoonfile(path.join(models, "dropped.mf.gz"), { words: ["A", "gzipped", "moon"] });
    // Cut off halfway: gunzip fails before the archive is whole.
    writeTinyMoonfile(path.join(models, "cut.mf.gz"));
    const cut = path.join(models, "cut.mf.gz");
    writeFileSync(cut, readFileSync(cut).subarray(0, 400));
    station = await startTestStation({ dataDir, config: { providers: [{ id: "vision", type: "local-vision" }] } });
    image = await solidPng(64, 48);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is discovered, unpacked beside itself once, listed with its skills and served", async () => {
    const { models: listed } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; capabilities: string[]; metadata: { path: string; visionSkills?: string[] } }[];
    };
    expect(listed.find((model) => model.id === "vision/dropped")).toMatchObject({
      capabilities: ["vision", "detect", "point"],
      metadata: { path: path.join(models, "dropped.mf"), visionSkills: ["caption", "query", "detect", "point"] },
    });
    expect(existsSync(path.join(models, "dropped.mf"))).toBe(true);
    expect(existsSync(path.join(models, "dropped.mf.gz"))).toBe(true);
    const client = new vl({ endpoint: `${station.url}/v1` });
    const caption = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: toDataUrl(image), model: "vision/dropped", length: "short" }),
    });
    expect(((await caption.json()) as { caption: string }).caption).toBe("A gzipped moon");
    expect((await client.point({ image, object: "moon" })).points.length).toBeGreaterThan(0);
  });

  it("a cut-off .mf.gz is listed with the reason and refused with 422 model_invalid; the server stays up", async () => {
    const registry = JSON.stringify(await (await fetch(`${station.url}/api/models`)).json());
    expect(registry).toContain("vision/cut");
    const response = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: toDataUrl(image), model: "vision/cut" }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("model_invalid");
    expect(existsSync(path.join(models, "cut.mf"))).toBe(false);
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });
});
