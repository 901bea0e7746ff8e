import { createServer } from "node:net";
import { vl } from "moondream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectMoondreamStream } from "./support/collect-moondream-stream.ts";
import { captionFor, type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "./support/fake-moondream-upstream.ts";
import { renderTextPng } from "./support/ocr-render-text.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { createVisionFakeChatProvider } from "./support/vision-fake-chat-provider.ts";
import { pngBomb, solidPng, toDataUrl, truncatedPng } from "./support/vision-images.ts";

describe("Moondream-compatible API with the official moondream client", () => {
  let upstream: FakeMoondreamUpstream;
  let station: TestStation;
  let client: vl;
  let image: Buffer;

  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream({ apiKey: "upstream-secret" });
    station = await startTestStation({
      config: {
        server: { apiKeys: ["station-key"] },
        providers: [
          { id: "md", type: "moondream", baseUrl: upstream.url, apiKey: "upstream-secret", retry: { attempts: 3, baseDelayMs: 1 } },
          { id: "ocr", type: "ocr" },
        ],
      },
      providers: [createVisionFakeChatProvider()],
    });
    client = new vl({ apiKey: "station-key", endpoint: `${station.url}/v1` });
    image = await solidPng(320, 240);
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  it("captions, non-streaming and streaming, through the default vision model (moondream)", async () => {
    const plain = await client.caption({ image, length: "short" });
    expect(plain.caption).toBe(captionFor("short", 320, 240));
    const streamed = await client.caption({ image, length: "long", stream: true });
    const { text, pieces } = await collectMoondreamStream(streamed.caption);
    expect(text).toBe(captionFor("long", 320, 240));
    expect(pieces).toBeGreaterThan(1);
    const last = upstream.requests.at(-1)!;
    expect(last.headers["x-moondream-auth"]).toBe("upstream-secret");
    expect(last.image).toMatchObject({ mediaType: "image/jpeg", width: 320, height: 240 });
  });

  it("answers queries, non-streaming and streaming", async () => {
    const plain = await client.query({ image, question: "What colour is it?" });
    expect(plain.answer).toBe('You asked "What colour is it?" about a 320x240 image.');
    const streamed = await client.query({ image, question: "Is it red?", stream: true });
    expect((await collectMoondreamStream(streamed.answer)).text).toBe('You asked "Is it red?" about a 320x240 image.');
  });

  it("detects and points", async () => {
    const detected = await client.detect({ image, object: "square" });
    expect(detected.objects).toEqual([{ x_min: 0.1, y_min: 0.2, x_max: 0.5, y_max: 0.6 }]);
    const pointed = await client.point({ image, object: "square" });
    expect(pointed.points).toEqual([
      { x: 0.3, y: 0.4 },
      { x: 0.7, y: 0.8 },
    ]);
    const raw = await fetch(`${station.url}/v1/point`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-moondream-auth": "station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), object: "square" }),
    });
    expect(await raw.json()).toMatchObject({ count: 2 });
  });

  it("retries a passing upstream failure; a lasting one is an HTTP error before streaming, a break mid-stream an error event", async () => {
    const served = upstream.served.get("/v1/caption") ?? 0;
    upstream.fail(503);
    const retried = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-moondream-auth": "station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), stream: true }),
    });
    expect(retried.status).toBe(200);
    expect(await retried.text()).toContain('data: {"completed":true}');
    expect(upstream.served.get("/v1/caption")).toBe(served + 1);
    upstream.fail(503);
    expect(await client.detect({ image, object: "square" })).toMatchObject({ objects: [{ x_min: 0.1 }] });

    // As many failures as the provider has attempts: the client gets the upstream's error.
    upstream.fail(503, 3);
    const before = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-moondream-auth": "station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), stream: true }),
    });
    expect(before.status).toBe(502);
    expect(((await before.json()) as { error: { code: string } }).error.code).toBe("upstream_error");

    upstream.breakNextStream();
    const broken = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-moondream-auth": "station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), stream: true }),
    });
    expect(broken.status).toBe(200);
    const events = (await broken.text()).split("\n\n").filter((event) => event.length > 0);
    expect(events.slice(0, 2).every((event) => event.startsWith('data: {"chunk":'))).toBe(true);
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: "upstream_unavailable" } });

    // Station is fine afterwards.
    expect((await client.caption({ image, length: "short" })).caption).toBe(captionFor("short", 320, 240));
  });

  it("counts native vision calls, Moondream's and OCR's, in the provider metrics", async () => {
    const sign = await renderTextPng(["OPEN 24 HOURS"]);
    const response = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer station-key" },
      body: JSON.stringify({ image_url: toDataUrl(sign), model: "ocr/ppocr-v4" }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { caption: string }).caption).toMatch(/OPEN/);
    const metrics = await (await fetch(`${station.url}/metrics`, { headers: { authorization: "Bearer station-key" } })).text();
    expect(metrics).toMatch(/station_provider_requests_total\{provider="ocr",operation="caption",outcome="ok"\} 1\n/);
    expect(metrics).toMatch(/station_provider_requests_total\{provider="md",operation="caption",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/station_provider_requests_total\{provider="md",operation="detect",outcome="ok"\} \d+/);
    // The failed attempts of the test above, by the upstream's status.
    expect(metrics).toMatch(/station_provider_errors_total\{provider="md",code="503"\} [1-9]/);
  });

  it("refuses a wrong key", async () => {
    const stranger = new vl({ apiKey: "wrong", endpoint: `${station.url}/v1` });
    await expect(stranger.caption({ image })).rejects.toThrow(/401/);
  });

  it("serves a vision chat model picked with `model`: caption and query by prompting", async () => {
    const response = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), length: "short", model: "fakechat/seer" }),
    });
    expect(response.status).toBe(200);
    const { caption } = (await response.json()) as { caption: string };
    expect(caption).toMatch(/^seer saw a image\/jpeg of \d+ bytes; prompt: Write a short caption/);
    const streamed = await fetch(`${station.url}/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer station-key" },
      body: JSON.stringify({ image_url: toDataUrl(image), question: "How many squares?", stream: true, model: "fakechat/seer" }),
    });
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    const events = (await streamed.text()).split("\n\n").filter((line) => line.length > 0);
    expect(events.at(-1)).toBe('data: {"completed":true}');
    const answer = events
      .slice(0, -1)
      .map((line) => (JSON.parse(line.slice(6)) as { chunk: string }).chunk)
      .join("");
    expect(answer).toMatch(/prompt: How many squares\?$/);
  });

  it("detects with a chat model that can locate, and refuses clearly with one that cannot", async () => {
    const post = (path: string, model: string) =>
      fetch(`${station.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer station-key" },
        body: JSON.stringify({ image_url: toDataUrl(image), object: "square", model }),
      });
    const located = await post("/v1/detect", "fakechat/locator");
    // The model's y_max of 1.4 is clamped into the 0-1 range.
    expect(await located.json()).toMatchObject({ objects: [{ x_min: 0.25, y_min: 0.25, x_max: 0.75, y_max: 1 }] });
    const pointed = await post("/v1/point", "fakechat/locator");
    expect(await pointed.json()).toMatchObject({ points: [{ x: 0.5, y: 0.5 }], count: 1 });
    const refused = await post("/v1/detect", "fakechat/seer");
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unsupported");
    expect(body.error.message).toContain("cannot detect objects");
    const blind = await post("/v1/point", "fakechat/blind");
    expect(blind.status).toBe(400);
    const unknown = await post("/v1/detect", "nobody/nothing");
    expect(unknown.status).toBe(404);
  });
});

describe("bad images are refused with clear 4xx, nothing enqueued, server fine", () => {
  let upstream: FakeMoondreamUpstream;
  let station: TestStation;
  let closedPort: number;

  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream();
    station = await startTestStation({ config: { providers: [{ id: "md", type: "moondream", baseUrl: upstream.url }] } });
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${station.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it.each([
    ["0 bytes", async () => "data:image/png;base64,", 400, "invalid_image"],
    ["a truncated PNG", async () => toDataUrl(await truncatedPng()), 400, "invalid_image"],
    ["a text file", async () => toDataUrl(Buffer.from("just some text, not an image\n"), "text/plain"), 400, "invalid_image"],
    ["a 20000×20000 PNG bomb", async () => toDataUrl(pngBomb()), 400, "image_too_large"],
    ["an unreachable URL", async () => `http://nonexistent.invalid/cat.png`, 400, "url_unreachable"],
    ["a URL to a private address", async () => "http://192.168.1.10/cat.png", 400, "url_not_allowed"],
    ["a URL to loopback", async () => `http://127.0.0.1:${closedPort}/cat.png`, 400, "url_not_allowed"],
  ])("%s", async (_name, make, status, code) => {
    const image = await make();
    const vision = await post("/v1/caption", { image_url: image });
    expect(vision.status).toBe(status);
    expect(((await vision.json()) as { error: { code: string } }).error.code).toBe(code);
    const queued = await post("/caption/generate", { image_data: image });
    expect(queued.status).toBe(status);
    expect(((await queued.json()) as { error: { code: string } }).error.code).toBe(code);
    const stats = (await (await fetch(`${station.url}/caption/stats`)).json()) as {
      queued: number;
      running: number;
      completed: number;
      failed: number;
      cancelled: number;
    };
    expect(stats.queued + stats.running + stats.completed + stats.failed).toBe(0);
    expect(upstream.requests).toHaveLength(0);
    const fine = await post("/v1/caption", { image_url: toDataUrl(await solidPng(8, 8)) });
    expect(fine.status).toBe(200);
    upstream.requests.length = 0;
  });
});
