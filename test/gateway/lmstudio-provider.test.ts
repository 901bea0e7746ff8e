import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.ts";
import { normalizeLmStudioBaseUrl } from "../../src/providers/lmstudio/normalize-lmstudio-base-url.ts";
import { type FakeLmStudioUpstream, startFakeLmStudioUpstream } from "../support/fake-lmstudio-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

type ListedModel = { id: string; capabilities: string[]; contextLength?: number; state?: string; metadata?: Record<string, unknown> };

describe("LM Studio provider", () => {
  it("accepts every base URL form users paste", () => {
    for (const url of [
      "http://host:1234",
      "http://host:1234/",
      "http://host:1234/v1",
      "http://host:1234/v1/",
      "http://host:1234/api/v1",
      "http://host:1234/api/v0/",
    ]) {
      expect(normalizeLmStudioBaseUrl(url), url).toBe("http://host:1234");
    }
  });

  it("reads the token from LMSTUDIO_API_TOKEN when the config sets none", () => {
    const directory = mkdtempSync(path.join(tmpdir(), "station-lms-"));
    try {
      const file = path.join(directory, "station.yaml");
      writeFileSync(
        file,
        "providers:\n  - id: lms\n    type: lmstudio\n    baseUrl: http://127.0.0.1:1234\n  - id: own\n    type: lmstudio\n    baseUrl: http://127.0.0.1:1235\n    apiKey: mine\n",
      );
      const { config } = loadConfig({ config: file }, { LMSTUDIO_API_TOKEN: "from-env" });
      expect(config.providers?.map((provider) => ("apiKey" in provider ? provider.apiKey : undefined))).toEqual(["from-env", "mine"]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  describe("LM Studio 0.4+ (REST /api/v1) with a token", () => {
    let lms: FakeLmStudioUpstream;
    let station: TestStation;
    let client: OpenAI;

    beforeAll(async () => {
      lms = await startFakeLmStudioUpstream({ apiVersion: "v1", token: "lm-secret" });
      station = await startTestStation({
        config: { providers: [{ id: "lms", type: "lmstudio", baseUrl: `${lms.url}/api/v1/`, apiKey: "lm-secret" }] },
      });
      client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
    });

    afterAll(async () => {
      await station?.close();
      await lms?.close();
    });

    it("lists downloaded and loaded models with type, capabilities and context length", async () => {
      const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as { models: ListedModel[] };
      expect(models).toEqual([
        expect.objectContaining({
          id: "lms/qwen2-vl-7b-instruct",
          capabilities: ["chat", "vision"],
          contextLength: 32_768,
          state: "not-loaded",
        }),
        expect.objectContaining({ id: "lms/qwen2.5-7b-instruct", capabilities: ["chat", "tools"], state: "loaded" }),
        expect.objectContaining({ id: "lms/text-embedding-nomic-embed-text-v1.5", capabilities: ["embeddings"] }),
      ]);
      expect(models[1]?.metadata).toMatchObject({ type: "llm", quantization: "Q4_K_M", loadedInstances: ["qwen2.5-7b-instruct"] });
      expect(lms.requests.every((request) => request.headers.authorization === "Bearer lm-secret")).toBe(true);
    });

    it("chats through /v1 with the bearer token", async () => {
      const completion = await client.chat.completions.create({
        model: "lms/qwen2.5-7b-instruct",
        messages: [{ role: "user", content: "Hi" }],
      });
      expect(completion.choices[0]?.message.content).toBe("Hello from qwen2.5-7b-instruct!");
      expect(lms.requests.at(-1)).toMatchObject({
        method: "POST",
        path: "/v1/chat/completions",
        headers: { authorization: "Bearer lm-secret" },
      });
    });

    it("loads and unloads through /api/v1/models/load and /unload", async () => {
      const provider = station.station.registry.provider("lms");
      await provider?.loadModel?.("qwen2-vl-7b-instruct");
      await station.station.registry.refresh("lms");
      expect(station.station.registry.get("lms/qwen2-vl-7b-instruct")?.state).toBe("loaded");
      await provider?.unloadModel?.("qwen2-vl-7b-instruct");
      await station.station.registry.refresh("lms");
      expect(station.station.registry.get("lms/qwen2-vl-7b-instruct")?.state).toBe("not-loaded");
      expect(
        lms.requests.filter((request) => request.path.startsWith("/api/v1/models/")).map((request) => [request.path, request.body]),
      ).toEqual([
        ["/api/v1/models/load", { model: "qwen2-vl-7b-instruct" }],
        ["/api/v1/models/unload", { instance_id: "qwen2-vl-7b-instruct:1" }],
      ]);
    });

    it("shows the provider in /health", async () => {
      const health = (await (await fetch(`${station.url}/health`)).json()) as {
        providers: { id: string; type: string; status: string }[];
        activeModels: string[];
      };
      expect(health.providers).toEqual([{ id: "lms", type: "lmstudio", status: "ok" }]);
      expect(health.activeModels).toContain("lms/qwen2.5-7b-instruct");
    });
  });

  describe("LM Studio 0.3 (REST /api/v0 only)", () => {
    let lms: FakeLmStudioUpstream;
    let station: TestStation;

    beforeAll(async () => {
      lms = await startFakeLmStudioUpstream({ apiVersion: "v0" });
      station = await startTestStation({ config: { providers: [{ id: "old", type: "lmstudio", baseUrl: `${lms.url}/v1` }] } });
    });

    afterAll(async () => {
      await station?.close();
      await lms?.close();
    });

    it("falls back to /api/v0: type llm/vlm/embeddings and state", async () => {
      const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as { models: ListedModel[] };
      expect(models.map((model) => [model.id, model.capabilities, model.state])).toEqual([
        ["old/qwen2-vl-7b-instruct", ["chat", "vision"], "not-loaded"],
        ["old/qwen2.5-7b-instruct", ["chat", "tools"], "loaded"],
        ["old/text-embedding-nomic-embed-text-v1.5", ["embeddings"], "not-loaded"],
      ]);
      const client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const embeddings = await client.embeddings.create({ model: "old/text-embedding-nomic-embed-text-v1.5", input: "hi" });
      expect(embeddings.data[0]?.embedding).toHaveLength(8);
    });
  });
});
