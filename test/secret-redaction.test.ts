import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverSentEvents } from "../src/providers/http/server-sent-events.ts";
import { connectRealtime } from "./realtime/realtime-client.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { solidPng, toDataUrl } from "./support/vision-images.ts";
import { eventually, startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

// Every kind of configured secret, each long enough to be redacted by value.
const providerKey = "sk-test-0123456789abcdefABCDEF";
const headerSecret = "org-header-secret-42424242";
const stationKey = "station-own-key-0000001";
const webhookSecret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==";
const hfToken = "hf_abcdefghijklmnopqrstuvwxyz";
const secrets = [providerKey, headerSecret, stationKey, webhookSecret, hfToken];
// What many upstreams answer when a credential is wrong: the credential itself, quoted back.
const echo = `Incorrect API key provided: ${providerKey}. Sent headers: x-org-token=${headerSecret}; also seen: ${stationKey} ${hfToken} ${webhookSecret}`;

let upstream: FakeOpenAiUpstream;
let receiver: WebhookReceiver;
let station: TestStation;
const logLines: string[] = [];
const auth = { authorization: `Bearer ${stationKey}` };

function expectNoSecret(text: string): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
  // The bare base64 key inside the whsec_ secret, too.
  expect(text).not.toContain(webhookSecret.slice("whsec_".length));
}

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${station.url}${path}`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "text-embedding-test"] });
  receiver = await startWebhookReceiver();
  station = await startTestStation({
    config: {
      server: { apiKeys: [stationKey] },
      providers: [
        {
          id: "up",
          type: "openai",
          baseUrl: upstream.url,
          apiKey: providerKey,
          headers: { "X-Org-Token": headerSecret },
          retry: { attempts: 1 },
          models: [
            { name: "gpt-test", capabilities: ["chat", "vision"] },
            { name: "text-embedding-test", capabilities: ["embeddings"] },
          ],
        },
      ],
      webhooks: { secret: webhookSecret, baseDelayMs: 0 },
      huggingFace: { token: hfToken },
      queue: { maxAttempts: 1 },
      security: { allowPrivateNetworks: true },
    },
    log: {
      level: "debug",
      destination: new Writable({
        write(chunk, _encoding, callback) {
          logLines.push(String(chunk));
          callback();
        },
      }),
    },
  });
});

afterAll(async () => {
  await station?.close();
  await receiver?.close();
  await upstream?.close();
});

describe("an upstream error that quotes the credentials it received", () => {
  it("is redacted in the OpenAI surface's JSON errors (chat, streamed chat, embeddings)", async () => {
    upstream.fail({ kind: "status", status: 500, message: echo }, 3);
    for (const [path, body] of [
      ["/v1/chat/completions", { model: "up/gpt-test", messages: [{ role: "user", content: "hi" }] }],
      ["/v1/chat/completions", { model: "up/gpt-test", stream: true, messages: [{ role: "user", content: "hi" }] }],
      ["/v1/embeddings", { model: "up/text-embedding-test", input: "hi" }],
    ] as const) {
      const { status, text } = await post(path, body);
      expect(status).toBe(502);
      expect(text).toContain("Incorrect API key provided: [redacted]");
      expectNoSecret(text);
    }
  });

  it("is redacted inside replies relayed byte for byte with 200 (a whole reply, an error event and content in a stream)", async () => {
    const chat = { model: "up/gpt-test", messages: [{ role: "user", content: "hi" }] };
    upstream.fail({ kind: "body", body: JSON.stringify({ error: { message: echo } }) });
    const whole = await post("/v1/chat/completions", chat);
    expect(whole.status).toBe(200);
    expect(whole.text).toContain("Incorrect API key provided: [redacted]");
    expectNoSecret(whole.text);

    upstream.fail({ kind: "stream-tail", afterChunks: 2, tail: `data: ${JSON.stringify({ error: { message: echo } })}\n\n` });
    const broken = await post("/v1/chat/completions", { ...chat, stream: true });
    expect(broken.text).toContain("Incorrect API key provided: [redacted]");
    expectNoSecret(broken.text);

    // A model that repeats the key it saw, in one content chunk.
    upstream.script({ text: `the key is ${providerKey}, header ${headerSecret}`, chunkSize: 200 });
    try {
      const streamed = await post("/v1/chat/completions", { ...chat, stream: true });
      expect(streamed.status).toBe(200);
      expect(streamed.text).toContain("the key is [redacted], header [redacted]");
      expect(streamed.text).toContain("data: [DONE]");
      expectNoSecret(streamed.text);
    } finally {
      upstream.script({});
    }
  });

  it("is redacted in the drop-in surfaces' errors (Anthropic, Responses, Ollama; streamed and not)", async () => {
    const messages = [{ role: "user", content: "hi" }];
    const calls = [
      ["/v1/messages", { model: "up/gpt-test", max_tokens: 16, messages }],
      ["/v1/messages", { model: "up/gpt-test", max_tokens: 16, messages, stream: true }],
      ["/v1/responses", { model: "up/gpt-test", input: "hi" }],
      ["/v1/responses", { model: "up/gpt-test", input: "hi", stream: true }],
      ["/api/chat", { model: "up/gpt-test", messages, stream: false }],
      ["/api/chat", { model: "up/gpt-test", messages }],
    ] as const;
    upstream.fail({ kind: "status", status: 500, message: echo }, calls.length);
    for (const [path, body] of calls) {
      const { status, text } = await post(path, body);
      expect({ path, status }).not.toEqual({ path, status: 200 });
      expect(text).toContain("[redacted]");
      expectNoSecret(text);
    }
  });

  it("is redacted in the vision surface's errors (caption, streamed caption)", async () => {
    const image = toDataUrl(await solidPng(8, 8));
    upstream.fail({ kind: "status", status: 500, message: echo }, 2);
    for (const stream of [false, true]) {
      const { status, text } = await post("/v1/caption", { image_url: image, model: "up/gpt-test", stream });
      expect(status).toBe(502);
      expect(text).toContain("[redacted]");
      expectNoSecret(text);
    }
  });

  it("is redacted in the chat SSE error event and the stored generation", async () => {
    upstream.fail({ kind: "status", status: 500, message: echo });
    const response = await fetch(`${station.url}/api/chat/stream`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ client_id: "redaction", message: "hi", model: "up/gpt-test" }),
    });
    const events: { event: string; data: string }[] = [];
    for await (const event of serverSentEvents(response.body!)) events.push(event);
    const error = events.find((event) => event.event === "error");
    expect(error?.data).toContain("[redacted]");
    expectNoSecret(events.map((event) => event.data).join("\n"));
    const generationId = (JSON.parse(error?.data ?? "{}") as { generation_id: string }).generation_id;
    const generation = await fetch(`${station.url}/api/chat/generation/${generationId}`, { headers: auth });
    expect(generation.status).toBe(200);
    expectNoSecret(await generation.text());
  });

  it("is redacted in realtime error events", async () => {
    upstream.fail({ kind: "status", status: 500, message: echo });
    const client = await connectRealtime(station.url, { headers: auth });
    client.send({ type: "session.update", session: { model: "up/gpt-test" } });
    await client.next("session.updated");
    client.send({ type: "text", text: "hi" });
    const events = await client.untilResponseDone();
    const error = events.find((event) => event.type === "error");
    expect(JSON.stringify(error)).toContain("[redacted]");
    expectNoSecret(JSON.stringify(events));
    await client.close();
  });

  it("is redacted in a failed job, as polled and as sent to the webhook", async () => {
    upstream.fail({ kind: "status", status: 500, message: echo });
    const image = (await solidPng(8, 8)).toString("base64");
    const submitted = await post("/caption/generate", { image_data: image, model: "up/gpt-test", webhook_url: receiver.url });
    expect(submitted.status).toBe(202);
    const jobId = (JSON.parse(submitted.text) as { job_id: string }).job_id;
    const job = await eventually(async () => {
      const polled = await fetch(`${station.url}/caption/job/${jobId}`, { headers: auth });
      const text = await polled.text();
      return text.includes('"failed"') ? text : undefined;
    });
    expect(job).toContain("[redacted]");
    expectNoSecret(job);
    const delivery = await eventually(() => receiver.deliveries[0]);
    expect(delivery.body).toContain("[redacted]");
    expectNoSecret(delivery.body);
  });

  it("never reaches the log, in any field", async () => {
    // Every test above logged the failure (at warn or error, with the error and its cause).
    const log = logLines.join("");
    expect(log).toContain("[redacted]");
    expectNoSecret(log);
  });
});
