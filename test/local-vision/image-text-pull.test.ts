import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullOnnxRepository } from "../../src/providers/transformers/pull-onnx-repository.ts";
import { huggingFaceRepositoryFiles } from "../support/fake-hugging-face-repository.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { runStationCommand } from "../support/run-station-command.ts";
import { writeTinyMoondream2 } from "../support/tiny-moondream2.ts";
import { writeTinyQwen2Vl } from "../support/tiny-qwen2vl.ts";
import { writeTinySmolVlm } from "../support/tiny-smolvlm.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "station-image-text-pull-"));
let server: FileServer;

const repositories = [
  {
    uri: "hf:Xenova/tiny-moondream2",
    repository: "/Xenova/tiny-moondream2",
    family: "moondream2",
    write: writeTinyMoondream2,
    support: ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"],
  },
  {
    uri: "hf:onnx-community/tiny-Qwen2-VL",
    repository: "/onnx-community/tiny-Qwen2-VL",
    family: "qwen2vl",
    write: writeTinyQwen2Vl,
    support: [
      "chat_template.json",
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ],
  },
  {
    uri: "hf:HuggingFaceTB/tiny-SmolVLM",
    repository: "/HuggingFaceTB/tiny-SmolVLM",
    family: "smolvlm",
    write: writeTinySmolVlm,
    support: [
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "processor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ],
  },
];

beforeAll(async () => {
  const files: Record<string, Buffer> = {};
  for (const { repository, write } of repositories) {
    const source = path.join(workDir, "sources", repository);
    write(source);
    // Graphs the engine does not run, other precisions and the model card stay on the hub.
    const extra = {
      "README.md": Buffer.from("# not needed"),
      "onnx/decoder_model.onnx": Buffer.from("unused"),
      "onnx/decoder_model_merged_q4.onnx": Buffer.from("unused"),
      "onnx/vision_encoder_fp16.onnx": Buffer.from("unused"),
    };
    Object.assign(files, huggingFaceRepositoryFiles(repository, source, extra));
  }
  server = await startFileServer(files);
});

afterAll(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe("station pull hf:<repo> of a moondream2, Qwen2-VL or SmolVLM ONNX export", () => {
  it.each(repositories)(
    "$family: takes the support files and one precision of vision_encoder, embed_tokens and decoder_model_merged",
    async ({ uri, repository, family, support }) => {
      const directory = path.join(workDir, "models");
      const result = await pullOnnxRepository({ uri, directory, huggingFaceEndpoint: server.url });
      const name = repository.split("/").at(-1) ?? "";
      expect(result).toMatchObject({ kind: "vision", modelName: name, family, dtype: "fp32", alreadyPresent: false });
      expect(result.files.sort()).toEqual(
        [...support, "onnx/decoder_model_merged.onnx", "onnx/embed_tokens.onnx", "onnx/vision_encoder.onnx"].sort(),
      );
      const requested = server.requests.map((request) => request.url).filter((url) => url.includes(repository));
      expect(requested.some((url) => /README\.md|_q4|_fp16|\/decoder_model\.onnx/.test(url))).toBe(false);
      for (const file of result.files) {
        expect(readFileSync(path.join(directory, name, file)).equals(readFileSync(path.join(workDir, "sources", repository, file)))).toBe(
          true,
        );
      }
    },
  );

  it("bin/station pull lands a repository in <dataDir>/models, and bin/station models lists it with its capabilities", async () => {
    const dataDir = path.join(workDir, "cli-data");
    const pulled = await runStationCommand(["pull", "hf:onnx-community/tiny-Qwen2-VL", "--data-dir", dataDir, "--hf-endpoint", server.url]);
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain("vision/tiny-Qwen2-VL");
    const models = await runStationCommand(["models", "--data-dir", dataDir, "--json"]);
    expect(models.code).toBe(0);
    const listed = JSON.parse(models.stdout) as { models: { id: string; capabilities: string[] }[] };
    expect(listed.models.find((entry) => entry.id === "vision/tiny-Qwen2-VL")?.capabilities).toEqual(["vision", "detect", "point"]);
  }, 60_000);
});
