import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readWhisperGenerationConfig } from "../../src/providers/speech/whisper-generation-config.ts";
import { whisperDecoderOutputNames, wordTimestampsPossible } from "../../src/providers/speech/whisper-word-timestamps.ts";
import { pullOnnxRepository } from "../../src/providers/transformers/pull-onnx-repository.ts";
import { espeakWav } from "../support/espeak-speech.ts";
import { huggingFaceRepositoryFiles } from "../support/fake-hugging-face-repository.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { postModelPull } from "../support/post-model-pull.ts";
import { runStationCommand } from "../support/run-station-command.ts";
import { startTestStation } from "../support/start-test-station.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";
import { writeTinyVits } from "../support/tiny-vits.ts";
import { writeTinyWhisper } from "../support/tiny-whisper.ts";

/**
 * Pulling Hugging Face ONNX speech repositories offline, from a local file server laid out like
 * Hugging Face (tree listing with sizes and LFS SHA-256, every graph also offered quantized):
 * Moonshine, Whisper and VITS repositories written by the tests' helpers.
 */
const workDir = mkdtempSync(path.join(tmpdir(), "station-speech-pull-"));
let server: FileServer;

beforeAll(async () => {
  const moonshine = path.join(workDir, "moonshine");
  const vits = path.join(workDir, "vits");
  const whisper = path.join(workDir, "whisper");
  writeTinyMoonshine(moonshine, { text: "pulled speech" });
  writeTinyVits(vits, { samplingRate: 16_000 });
  writeTinyWhisper(whisper, { segments: [{ text: " Pulled whisper.", start: 0, end: 1 }] });
  const timestamped = path.join(workDir, "whisper-timestamped");
  writeTinyWhisper(timestamped, { segments: [{ text: " Pulled words.", start: 0, end: 1 }], wordTimestamps: true });
  const extra = { "README.md": Buffer.from("# not needed"), "onnx/decoder_model.onnx": Buffer.from("unused") };
  server = await startFileServer({
    ...huggingFaceRepositoryFiles("/onnx-community/tiny-moonshine-ONNX", moonshine, extra),
    ...huggingFaceRepositoryFiles("/Xenova/tiny-mms-tts", vits, { "README.md": Buffer.from("# mms") }),
    ...huggingFaceRepositoryFiles("/onnx-community/whisper-tiny", whisper),
    ...huggingFaceRepositoryFiles("/onnx-community/whisper-tiny_timestamped", timestamped),
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe("pulling Hugging Face ONNX speech repositories", () => {
  it("Moonshine: the support files and the two full-precision graphs, nothing else", async () => {
    const directory = path.join(workDir, "models");
    const result = await pullOnnxRepository({ uri: "hf:onnx-community/tiny-moonshine-ONNX", directory, huggingFaceEndpoint: server.url });
    expect(result).toMatchObject({
      kind: "speech",
      modelName: "tiny-moonshine-ONNX",
      family: "moonshine",
      dtype: "fp32",
      alreadyPresent: false,
    });
    expect(result.files.sort()).toEqual(
      [
        "config.json",
        "generation_config.json",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "onnx/decoder_model_merged.onnx",
        "onnx/encoder_model.onnx",
      ].sort(),
    );
    expect(readdirSync(path.join(directory, "tiny-moonshine-ONNX", "onnx")).sort()).toEqual([
      "decoder_model_merged.onnx",
      "encoder_model.onnx",
    ]);
    const requested = server.requests.map((request) => request.url);
    expect(requested.some((url) => url.includes("README.md") || url.includes("_quantized") || url.endsWith("/decoder_model.onnx"))).toBe(
      false,
    );
    expect(existsSync(path.join(directory, ".tiny-moonshine-ONNX.partial"))).toBe(false);
    const again = await pullOnnxRepository({ uri: "hf:onnx-community/tiny-moonshine-ONNX", directory, huggingFaceEndpoint: server.url });
    expect(again.alreadyPresent).toBe(true);
  });

  it("a word-timestamps Whisper (onnx-community/whisper-*_timestamped) pulls like any Whisper and can give word timestamps", async () => {
    const directory = path.join(workDir, "timestamped-models");
    for (const repository of ["whisper-tiny_timestamped", "whisper-tiny"]) {
      const result = await pullOnnxRepository({ uri: `hf:onnx-community/${repository}`, directory, huggingFaceEndpoint: server.url });
      expect(result).toMatchObject({ kind: "speech", modelName: repository, family: "whisper", dtype: "fp32" });
      expect(result.files).toEqual(expect.arrayContaining(["generation_config.json", "onnx/decoder_model_merged.onnx"]));
    }
    const possible = async (repository: string) => {
      const pulled = path.join(directory, repository);
      return wordTimestampsPossible(await readWhisperGenerationConfig(pulled), await whisperDecoderOutputNames(pulled, 0));
    };
    expect(await possible("whisper-tiny_timestamped")).toBe(true);
    expect(await possible("whisper-tiny")).toBe(false);
  });

  it("refuses what the speech engine cannot load: another precision", async () => {
    await expect(
      pullOnnxRepository({
        uri: "hf:onnx-community/tiny-moonshine-ONNX",
        directory: path.join(workDir, "q8"),
        dtype: "q8",
        huggingFaceEndpoint: server.url,
      }),
    ).rejects.toMatchObject({ code: "pull_failed", message: expect.stringContaining("full-precision") });
  });

  it("POST /v1/system/models/pull puts speech models where local-speech looks; they transcribe and speak at once", async () => {
    const speechDir = path.join(workDir, "speech-models");
    const station = await startTestStation({
      config: {
        providers: [
          { id: "vision", type: "local-vision" },
          { id: "voice", type: "local-speech", modelsDir: speechDir, threads: 1 },
        ],
        huggingFace: { endpoint: server.url },
      },
    });
    try {
      const pull = async (model: string) => {
        const response = await postModelPull(station.url, model, { stream: false });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const vits = await pull("hf:Xenova/tiny-mms-tts");
      expect(vits.body, JSON.stringify(vits.body)).toMatchObject({ model: "voice/tiny-mms-tts" });
      expect(vits).toMatchObject({ status: 200, body: { model: "voice/tiny-mms-tts", family: "vits", dtype: "fp32" } });
      expect(vits.body.files).toEqual(expect.arrayContaining(["onnx/model.onnx", "tokenizer.json"]));
      expect(existsSync(path.join(speechDir, "tiny-mms-tts", "onnx", "model.onnx"))).toBe(true);
      // Not where the vision engine looks (<dataDir>/models): nothing staged was left there either.
      expect(readdirSync(path.join(station.dataDir, "models")).filter((name) => name.includes("mms"))).toEqual([]);
      const moonshine = await pull("hf:onnx-community/tiny-moonshine-ONNX");
      expect(moonshine).toMatchObject({ status: 200, body: { model: "voice/tiny-moonshine-ONNX", family: "moonshine" } });

      const form = new FormData();
      form.append("file", new Blob([espeakWav("Hello there.")]), "a.wav");
      form.append("model", "voice/tiny-moonshine-ONNX");
      const transcript = await fetch(`${station.url}/v1/audio/transcriptions`, { method: "POST", body: form });
      expect(await transcript.json()).toEqual({ text: "pulled speech" });
      const whisper = await pull("hf:onnx-community/whisper-tiny");
      expect(whisper).toMatchObject({ status: 200, body: { model: "voice/whisper-tiny", family: "whisper", dtype: "fp32" } });
      expect(whisper.body.files).toEqual(
        expect.arrayContaining([
          "generation_config.json",
          "preprocessor_config.json",
          "onnx/encoder_model.onnx",
          "onnx/decoder_model_merged.onnx",
        ]),
      );
      form.set("model", "voice/whisper-tiny");
      const whispered = await fetch(`${station.url}/v1/audio/translations`, { method: "POST", body: form });
      expect(await whispered.json()).toEqual({ text: "Pulled whisper." });
      const speech = await fetch(`${station.url}/v1/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "voice/tiny-mms-tts", input: "Hello there.", response_format: "wav" }),
      });
      expect(speech.status).toBe(200);
      const wav = Buffer.from(await speech.arrayBuffer());
      expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
      expect(wav.byteLength).toBeGreaterThan(1000);
      expect(readFileSync(path.join(speechDir, "tiny-mms-tts", "config.json"), "utf8")).toContain("vits");
    } finally {
      await station.close();
    }
  }, 60_000);

  it("bin/station pull hf:<speech repository> lands in <dataDir>/models and names the local-speech model", async () => {
    const dataDir = path.join(workDir, "cli-data");
    const pulled = await runStationCommand(["pull", "hf:Xenova/tiny-mms-tts", "--data-dir", dataDir, "--hf-endpoint", server.url]);
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain("model: speech/tiny-mms-tts (vits)");
    expect(existsSync(path.join(dataDir, "models", "tiny-mms-tts", "onnx", "model.onnx"))).toBe(true);
    const models = await runStationCommand(["models", "--data-dir", dataDir, "--json"]);
    const listed = JSON.parse(models.stdout) as { models: { id: string; capabilities: string[] }[] };
    expect(listed.models.find((entry) => entry.id === "speech/tiny-mms-tts")?.capabilities).toEqual(["speak"]);
  }, 60_000);

  it("without a local-speech provider a speech pull is refused before its graphs are fetched", async () => {
    const station = await startTestStation({
      config: { providers: [{ id: "vision", type: "local-vision" }], huggingFace: { endpoint: server.url } },
    });
    try {
      const before = server.requests.length;
      const response = await postModelPull(station.url, "hf:Xenova/tiny-mms-tts", { stream: false });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain("local-speech");
      expect(server.requests.slice(before).some((request) => request.url.endsWith(".onnx"))).toBe(false);
    } finally {
      await station.close();
    }
  });
});
