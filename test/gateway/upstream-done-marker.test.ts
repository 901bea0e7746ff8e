import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: finish }] })}\n\n`;

/**
 * An upstream stream is over at `data: [DONE]`: whether the upstream ends its response with it,
 * keeps the connection open after it, or sends more after it, the drop-in's stream completes with
 * exactly what came before the marker.
 */
describe("the [DONE] marker of an OpenAI-compatible upstream stream", () => {
  let upstream: Server;
  let station: TestStation;
  const held: ServerResponse[] = [];
  let tail: (response: ServerResponse) => void = (response) => response.end("data: [DONE]\n\n");

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      if (request.method === "GET") {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ object: "list", data: [{ id: "gpt-test", object: "model" }] }));
        return;
      }
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(chunk("Hello"));
        response.write(chunk(" there", "stop"));
        tail(response);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const { port } = upstream.address() as AddressInfo;
    station = await startTestStation({ config: { providers: [{ id: "up", type: "openai", baseUrl: `http://127.0.0.1:${port}/v1` }] } });
  });
  afterAll(async () => {
    await station?.close();
    for (const response of held) response.destroy();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const streamedText = async (): Promise<string> => {
    const response = await fetch(`${station.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up/gpt-test", prompt: "Hi", stream: true }),
    });
    const text = await response.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    return text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => (JSON.parse(event.slice(6)) as { choices: { text: string }[] }).choices[0]?.text ?? "")
      .join("");
  };

  it("ends with the upstream's response", async () => {
    tail = (response) => response.end("data: [DONE]\n\n");
    expect(await streamedText()).toBe("Hello there");
  });

  it("ends while the upstream keeps its response open after the marker", async () => {
    tail = (response) => {
      response.write("data: [DONE]\n\n");
      held.push(response);
    };
    expect(await streamedText()).toBe("Hello there");
  });

  it("ignores what the upstream sends after the marker", async () => {
    tail = (response) => response.end(`data: [DONE]\n\n${chunk(" and more")}`);
    expect(await streamedText()).toBe("Hello there");
  });
});
