import { describe, expect, it } from "vitest";
import { fromOllamaChat, fromOllamaGenerate } from "./from-ollama-request.ts";
import type { OllamaChatBody, OllamaGenerateBody } from "./ollama-schemas.ts";

const user = { role: "user" as const, content: "hi" };

describe("fromOllamaChat: options", () => {
  it("maps Ollama's sampling options to the core's settings and nothing else for a request with only those", () => {
    const input = fromOllamaChat(
      {
        model: "m",
        messages: [user],
        options: {
          temperature: 0.2,
          top_p: 0.9,
          top_k: 40,
          num_predict: 64,
          stop: ["END"],
          seed: 7,
          presence_penalty: 0.1,
          frequency_penalty: 0.3,
        },
      } as OllamaChatBody,
      "up/m",
    );
    expect(input).toEqual({
      model: "up/m",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      stop: ["END"],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.3,
    });
  });

  it("passes every other option to the engine, in the client's order, with keep_alive beside them", () => {
    const input = fromOllamaChat(
      {
        model: "m",
        messages: [user],
        options: { mirostat: 2, temperature: 0, num_ctx: 8192, num_predict: -1, stop: [] },
        keep_alive: "5m",
      } as OllamaChatBody,
      "up/m",
    );
    expect(input.temperature).toBe(0);
    // -1 is Ollama's "no limit"; an empty stop list is no stop.
    expect(input.maxTokens).toBeUndefined();
    expect(input.stop).toBeUndefined();
    expect(input.engineOptions).toEqual({ options: { mirostat: 2, num_ctx: 8192 }, keep_alive: "5m" });
    expect(Object.keys((input.engineOptions as { options: object }).options)).toEqual(["mirostat", "num_ctx"]);
  });

  it("keeps keep_alive alone when the options are all Station's own, and sets nothing without options", () => {
    expect(
      fromOllamaChat({ model: "m", messages: [user], options: { seed: 1 }, keep_alive: 0 } as OllamaChatBody, "up/m").engineOptions,
    ).toEqual({
      keep_alive: 0,
    });
    expect(fromOllamaChat({ model: "m", messages: [user] } as OllamaChatBody, "up/m")).toEqual({ model: "up/m", messages: [user] });
  });

  it("names each image by its message and place, a message without images stays text", () => {
    const input = fromOllamaChat(
      {
        model: "m",
        messages: [user, { role: "user", content: "look", images: ["AAAA", "BBBB"] }],
      } as OllamaChatBody,
      "up/m",
    );
    expect(input.messages).toEqual([
      { role: "user", content: "hi" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image-reference", base64: "AAAA", param: "messages[1].images[0]" },
          { type: "image-reference", base64: "BBBB", param: "messages[1].images[1]" },
        ],
      },
    ]);
  });
});

describe("fromOllamaGenerate", () => {
  it("is one user turn after the system prompt, its images named images[i], options as for chat", () => {
    const input = fromOllamaGenerate(
      {
        model: "m",
        prompt: "what is this",
        system: "be brief",
        images: ["AAAA"],
        options: { num_ctx: 2048, temperature: 1 },
      } as OllamaGenerateBody,
      "up/m",
    );
    expect(input).toEqual({
      model: "up/m",
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            { type: "image-reference", base64: "AAAA", param: "images[0]" },
          ],
        },
      ],
      params: { messages: "prompt" },
      temperature: 1,
      engineOptions: { options: { num_ctx: 2048 } },
    });
    expect(fromOllamaGenerate({ model: "m", prompt: "hi" } as OllamaGenerateBody, "up/m").messages).toEqual([
      { role: "user", content: "hi" },
    ]);
  });
});
