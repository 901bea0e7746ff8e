import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { vl } from "moondream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullCommand } from "../../src/cli/pull-command.ts";
import { isMoonfileUri, pullMoonfile } from "../../src/providers/moonfile/pull-moonfile.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { postModelPull, pullEvents } from "../support/post-model-pull.ts";
import { startTestStation } from "../support/start-test-station.ts";
import { buildTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng } from "../support/vision-images.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "station-moonfile-pull-"));
const model = buildTinyMoonfile({ words: ["A", "pulled", "moondream"] });
const gzipped = gzipSync(model.bytes);
const published = "/vikhyatk/moondream2/resolve/main/moondream-tiny-int8.mf.gz";
let server: FileServer;

beforeAll(async () => {
  server = await startFileServer({
    [published]: gzipped,
    "/files/plain-tiny.mf": model.bytes,
    "/files/broken.mf.gz": gzipSync(model.bytes.subarray(0, model.bytes.length - 100)),
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe("pulling a Moondream .mf", () => {
  it("recognises .mf and .mf.gz sources, paths and URLs", () => {
    expect(isMoonfileUri("/models/moondream-0_5b-int8.mf")).toBe(true);
    expect(isMoonfileUri("https://huggingface.co/x/y/resolve/abc/moondream-0_5b-int8.mf.gz?download=true")).toBe(true);
    expect(isMoonfileUri("hf:vikhyatk/moondream2/moondream-2b-int8.mf.gz")).toBe(true);
    expect(isMoonfileUri("hf:onnx-community/Florence-2-base-ft")).toBe(false);
    expect(isMoonfileUri("hf:user/repo/model.gguf")).toBe(false);
  });

  it("downloads a .mf.gz from hf:, resumes a cut download, unpacks it and checks it before it lands", async () => {
    const directory = path.join(workDir, "models-hf");
    server.cutNextAfter(1000, published);
    await expect(
      pullMoonfile({ source: "hf:vikhyatk/moondream2/moondream-tiny-int8.mf.gz", directory, huggingFaceEndpoint: server.url }),
    ).rejects.toMatchObject({ code: "pull_failed" });
    expect(existsSync(path.join(directory, "moondream-tiny-int8.mf"))).toBe(false);
    const before = server.requests.length;
    const progress: number[] = [];
    const result = await pullMoonfile({
      source: "hf:vikhyatk/moondream2/moondream-tiny-int8.mf.gz",
      directory,
      huggingFaceEndpoint: server.url,
      onProgress: (received) => progress.push(received),
    });
    expect(result).toMatchObject({ modelName: "moondream-tiny-int8", alreadyPresent: false, sizeBytes: model.bytes.length });
    const resumed = server.requests.slice(before).find((request) => request.url === published);
    const kept = resumed?.headers.range;
    expect(kept === undefined || /^bytes=\d+-$/.test(kept)).toBe(true);
    expect(progress.at(-1)).toBe(gzipped.length);
    expect(readFileSync(path.join(directory, "moondream-tiny-int8.mf")).equals(model.bytes)).toBe(true);
    // Only the unpacked archive is left: no hidden download, no partial file.
    expect(readdirSync(directory)).toEqual(["moondream-tiny-int8.mf"]);
    const again = await pullMoonfile({
      source: "hf:vikhyatk/moondream2/moondream-tiny-int8.mf.gz",
      directory,
      huggingFaceEndpoint: server.url,
    });
    expect(again.alreadyPresent).toBe(true);
  });

  it("copies a local .mf.gz or .mf, and refuses a broken archive without leaving anything behind", async () => {
    const directory = path.join(workDir, "models-local");
    const sources = path.join(workDir, "sources");
    mkdirSync(sources, { recursive: true });
    writeFileSync(path.join(sources, "local-tiny.mf.gz"), gzipped);
    writeFileSync(path.join(sources, "cut.mf"), model.bytes.subarray(0, 5000));
    const result = await pullMoonfile({ source: path.join(sources, "local-tiny.mf.gz"), directory });
    expect(statSync(result.path).size).toBe(model.bytes.length);
    await expect(pullMoonfile({ source: path.join(sources, "cut.mf"), directory })).rejects.toMatchObject({
      code: "pull_failed",
      message: expect.stringContaining("truncated"),
    });
    await expect(pullMoonfile({ source: `${server.url}/files/broken.mf.gz`, directory })).rejects.toMatchObject({ code: "pull_failed" });
    expect(readdirSync(directory)).toEqual(["local-tiny.mf"]);
  });

  it("bin/station pull takes a .mf path into the local vision models directory", async () => {
    const dataDir = path.join(workDir, "cli-data");
    const source = path.join(workDir, "cli-tiny.mf");
    writeFileSync(source, model.bytes);
    const write = process.stdout.write;
    let printed = "";
    process.stdout.write = ((chunk: string) => {
      printed += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      await pullCommand(source, { dataDir, progress: false });
    } finally {
      process.stdout.write = write;
    }
    expect(printed).toContain("model: vision/cli-tiny (moondream-mf)");
    expect(readFileSync(path.join(dataDir, "models", "cli-tiny.mf")).equals(model.bytes)).toBe(true);
  });

  it("POST /v1/system/models/pull takes a .mf URL, streams progress, and the model serves at once", async () => {
    const station = await startTestStation({
      config: { providers: [{ id: "vision", type: "local-vision" }], security: { allowPrivateNetworks: true } },
    });
    try {
      const response = await postModelPull(station.url, `${server.url}/files/plain-tiny.mf`);
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      const events = await pullEvents(response);
      expect(events.filter((event) => event.type === "progress").at(-1)?.data.percent).toBe(100);
      expect(events.at(-1)).toMatchObject({ type: "done", data: { model: "vision/plain-tiny", family: "moondream-mf" } });
      const client = new vl({ endpoint: `${station.url}/v1` });
      const image = await solidPng(40, 40);
      expect((await client.caption({ image, length: "short" })).caption).toBe(model.text);
      expect((await client.point({ image, object: "thing" })).points).toHaveLength(3);
    } finally {
      await station.close();
    }
  }, 60_000);

  it("the API refuses a .mf URL on a private address unless the config allows private networks", async () => {
    const station = await startTestStation({ config: { providers: [{ id: "vision", type: "local-vision" }] } });
    try {
      const response = await postModelPull(station.url, `${server.url}/files/plain-tiny.mf`, { stream: false });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("url_not_allowed");
      expect(existsSync(path.join(station.dataDir, "models", "plain-tiny.mf"))).toBe(false);
    } finally {
      await station.close();
    }
  }, 60_000);
});
