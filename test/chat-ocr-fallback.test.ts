import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, ModelInfo } from "../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage } from "./support/chat-scripted-provider.ts";
import { postChatStream } from "./support/chat-sse-client.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { renderTextPng } from "./support/ocr-render-text.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

/** A text-only chat model gets the text the embedded OCR model reads from attached images. */
describe("chat with images on a model that cannot see", () => {
  let station: TestStation;
  let upstream: FakeOpenAiUpstream;
  const textOnly = createScriptedChatProvider("blind", () => ({ text: "noted" }));
  const listScripted = textOnly.listModels.bind(textOnly);
  textOnly.listModels = async (): Promise<ModelInfo[]> =>
    (await listScripted()).map((model) => ({ ...model, capabilities: model.capabilities.filter((capability) => capability !== "vision") }));

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    station = await startTestStation({
      providers: [textOnly],
      config: {
        providers: [
          { id: "ocr", type: "ocr" },
          // A text-only model on an OpenAI-compatible server: /v1/chat/completions relays to it.
          { id: "relay", type: "openai", baseUrl: upstream.url, models: [{ name: "gpt-test", capabilities: ["chat", "tools"] }] },
        ],
        defaults: { chatModel: "blind/scripted" },
      },
    });
  });
  afterAll(async () => {
    await station.close();
    await upstream.close();
  });

  const upload = async (bytes: Uint8Array, filename: string): Promise<string> => {
    const form = new FormData();
    form.append("file", new Blob([bytes], { type: "image/png" }), filename);
    const response = await fetch(`${station.url}/api/uploads`, { method: "POST", body: form });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  const userText = (request: ChatRequest | undefined): string => {
    const content = request === undefined ? "" : lastMessage(request)?.content;
    if (typeof content === "string") return content;
    return (content ?? []).map((part) => (part.type === "text" ? part.text : `<${part.type}>`)).join("\n");
  };

  it("sends the OCR text instead of the image, in this turn and in later turns' history", async () => {
    const receipt = await upload(await renderTextPng(["Invoice 7731", "Total 18.40 EUR"]), "receipt.png");
    const first = await postChatStream(station.url, { client_id: "reader", message: "What is the total?", attachments: [receipt] });
    expect(first.events.at(-1)?.event).toBe("done");
    const firstRequest = textOnly.requests.at(-1);
    expect(userText(firstRequest)).toContain("What is the total?");
    expect(userText(firstRequest)).toContain("the text OCR read from it follows]\nInvoice 7731\nTotal 18.40 EUR");
    expect(userText(firstRequest)).not.toContain("<image>");

    const sessionId = (first.events[0]?.data as { session_id: string } | undefined)?.session_id;
    const second = await postChatStream(station.url, { client_id: "reader", session_id: sessionId, message: "And the invoice number?" });
    expect(second.events.at(-1)?.event).toBe("done");
    const history = textOnly.requests.at(-1)?.messages ?? [];
    const earlierUser = history.filter((message) => message.role === "user")[0];
    expect(JSON.stringify(earlierUser?.content)).toContain("Invoice 7731");
    expect(JSON.stringify(history)).not.toContain('"type":"image"');
  }, 60_000);

  it("/v1/chat/completions reads an image_url part by OCR for a text-only model, translated or relayed", async () => {
    const receipt = Buffer.from(await renderTextPng(["Invoice 7731", "Total 18.40 EUR"])).toString("base64");
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "What is the total?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${receipt}`, detail: "high" } },
        ],
      },
    ];
    const post = (model: string, stream: boolean) =>
      fetch(`${station.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages, stream }),
      });
    // The scripted provider only streams.
    const translated = await post("blind/scripted", true);
    expect(await translated.text()).toContain('"content":"noted"');
    expect(userText(textOnly.requests.at(-1))).toContain("the text OCR read from it follows]\nInvoice 7731\nTotal 18.40 EUR");

    upstream.script({ text: "18.40 EUR" });
    const relayed = await post("relay/gpt-test", false);
    expect(relayed.status).toBe(200);
    expect(((await relayed.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("18.40 EUR");
    const sent = JSON.stringify(upstream.requests.at(-1)?.body?.messages);
    expect(sent).toContain("Total 18.40 EUR");
    expect(sent).not.toContain("image_url");
  }, 60_000);
});
