import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullModel } from "../../src/providers/llamacpp/pull-model.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { runStationCommand } from "../support/run-station-command.ts";
import { writeTinyGguf } from "../support/tiny-gguf.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "station-pull-"));
let model: Buffer;
let sha256: string;
let server: FileServer;

beforeAll(async () => {
  const source = path.join(workDir, "source.gguf");
  await writeTinyGguf(source);
  model = readFileSync(source);
  sha256 = createHash("sha256").update(model).digest("hex");
  server = await startFileServer(
    {
      "/station/tiny-GGUF/resolve/main/tiny-q8.gguf": model,
      "/files/other.gguf": model,
      "/files/not-a-model.gguf": Buffer.from("GGUF but not really"),
      "/station/gated-GGUF/resolve/main/tiny-gated.gguf": model,
      "/files/public.gguf": model,
    },
    { gated: { "/station/gated-GGUF/resolve/main/tiny-gated.gguf": "hf_test_token" } },
  );
});

afterAll(async () => {
  await server.close();
});

describe("pulling a model", () => {
  it("resumes an interrupted download with a Range request and checks the SHA-256", async () => {
    const directory = path.join(workDir, "models-resume");
    const uri = "hf:station/tiny-GGUF/tiny-q8.gguf";
    server.cutNextAfter(100_000);
    await expect(pullModel({ uri, directory, sha256, huggingFaceEndpoint: server.url })).rejects.toMatchObject({
      code: "pull_failed",
      message: expect.stringMatching(/interrupted|incomplete/),
    });
    const partial = path.join(directory, "tiny-q8.gguf.partial");
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    expect(existsSync(path.join(directory, "tiny-q8.gguf"))).toBe(false);

    const before = server.requests.length;
    const progress: number[] = [];
    const result = await pullModel({
      uri,
      directory,
      sha256,
      huggingFaceEndpoint: server.url,
      onProgress: (received) => progress.push(received),
    });
    expect(server.requests[before]?.headers.range).toBe(`bytes=${kept}-`);
    expect(result).toMatchObject({ modelName: "tiny-q8", sizeBytes: model.length, sha256, resumedFromBytes: kept, alreadyPresent: false });
    expect(progress[0]).toBe(kept);
    expect(progress.at(-1)).toBe(model.length);
    expect(readFileSync(result.path).equals(model)).toBe(true);
    expect(existsSync(partial)).toBe(false);

    const again = await pullModel({ uri, directory, sha256, huggingFaceEndpoint: server.url });
    expect(again.alreadyPresent).toBe(true);
  });

  it("refuses a file whose SHA-256 differs and keeps nothing", async () => {
    const directory = path.join(workDir, "models-bad-sha");
    await expect(pullModel({ uri: `${server.url}/files/other.gguf`, directory, sha256: "0".repeat(64) })).rejects.toMatchObject({
      message: expect.stringContaining("SHA-256 mismatch"),
    });
    expect(existsSync(path.join(directory, "other.gguf"))).toBe(false);
    expect(existsSync(path.join(directory, "other.gguf.partial"))).toBe(false);
  });

  it("refuses a download that is not a valid GGUF, a 404, and a URI that names no .gguf", async () => {
    const directory = path.join(workDir, "models-bad");
    await expect(pullModel({ uri: `${server.url}/files/not-a-model.gguf`, directory })).rejects.toMatchObject({
      message: expect.stringContaining("not a usable GGUF"),
    });
    expect(existsSync(path.join(directory, "not-a-model.gguf"))).toBe(false);
    await expect(pullModel({ uri: `${server.url}/files/missing.gguf`, directory })).rejects.toMatchObject({
      message: expect.stringContaining("HTTP 404"),
    });
    await expect(pullModel({ uri: "hf:user/repo", directory })).rejects.toMatchObject({ code: "invalid_request" });
    await expect(pullModel({ uri: "ftp://host/model.gguf", directory })).rejects.toMatchObject({ code: "invalid_request" });
  });

  it("bin/station pull downloads into <dataDir>/models, then bin/station models lists it", async () => {
    const dataDir = path.join(workDir, "cli-data");
    const pull = await runStationCommand([
      "pull",
      "hf:station/tiny-GGUF/tiny-q8.gguf",
      "--data-dir",
      dataDir,
      "--hf-endpoint",
      server.url,
      "--sha256",
      sha256,
    ]);
    expect(pull.stderr).toBe("");
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain(`sha256 ${sha256}`);
    expect(pull.stdout).toContain("model: local/tiny-q8");
    expect(readFileSync(path.join(dataDir, "models", "tiny-q8.gguf")).equals(model)).toBe(true);

    const models = await runStationCommand(["models", "--data-dir", dataDir, "--json"]);
    expect(models.code).toBe(0);
    const listed = JSON.parse(models.stdout) as { models: { id: string; capabilities: string[] }[]; hint?: string };
    expect(listed.models.find((entry) => entry.id === "local/tiny-q8")?.capabilities).toContain("chat");
    expect(listed.hint).toBeUndefined();

    const wrong = await runStationCommand(["pull", "not-a-uri", "--data-dir", dataDir]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("is not a model URI");
  }, 60_000);

  it("sends HF_TOKEN to Hugging Face for a gated repository, and never to other hosts", async () => {
    const dataDir = path.join(workDir, "gated-data");
    const args = ["pull", "hf:station/gated-GGUF/tiny-gated.gguf", "--data-dir", dataDir, "--hf-endpoint", server.url];
    const refused = await runStationCommand(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("HTTP 401");
    expect(refused.stderr).toContain("HF_TOKEN");

    const pulled = await runStationCommand(args, { HF_TOKEN: "hf_test_token" });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(readFileSync(path.join(dataDir, "models", "tiny-gated.gguf")).equals(model)).toBe(true);

    const before = server.requests.length;
    const direct = await runStationCommand(["pull", `${server.url}/files/public.gguf`, "--data-dir", dataDir], {
      HF_TOKEN: "hf_test_token",
    });
    expect(direct.code).toBe(0);
    const sent = server.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.headers.authorization === undefined)).toBe(true);
  }, 60_000);

  it("bin/station models says how to get a chat model when there is none", async () => {
    const listing = await runStationCommand(["models", "--data-dir", path.join(workDir, "empty-data")]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toContain("ocr/ppocr-v4");
    expect(listing.stdout).toMatch(/No chat model is available\. Download one with: bin\/station pull hf:\S+\.gguf/);
  }, 60_000);
});
