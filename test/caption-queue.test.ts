import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captionFor, type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "./support/fake-moondream-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { solidPng } from "./support/vision-images.ts";
import { eventually, startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

interface JobView {
  job_id: string;
  status: string;
  attempts: number;
  result?: { caption: string; model: string };
  error?: { code: string; message: string };
  webhook?: { url: string; attempts: { attempt: number; status_code?: number; ok: boolean; error?: string }[] };
}

function submitCaption(stationUrl: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${stationUrl}/caption/generate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function jobView(stationUrl: string, id: string): Promise<JobView> {
  return (await (await fetch(`${stationUrl}/caption/job/${id}`)).json()) as JobView;
}

/** GET /caption/stats: the queue's counts by state (and its limits, which toMatchObject reads). */
interface CaptionStats {
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

async function captionStats(stationUrl: string): Promise<CaptionStats> {
  return (await (await fetch(`${stationUrl}/caption/stats`)).json()) as CaptionStats;
}

const secret = `whsec_${randomBytes(24).toString("base64")}`;

describe("caption job queue", () => {
  let upstream: FakeMoondreamUpstream;
  let receiver: WebhookReceiver;
  let station: TestStation;
  let imageData: string;

  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream();
    receiver = await startWebhookReceiver();
    station = await startTestStation({
      config: {
        // One attempt per call in the resilience layer, so the queue's own job retries are what is tested.
        providers: [{ id: "md", type: "moondream", baseUrl: upstream.url, retry: { attempts: 1 } }],
        queue: { concurrency: 2, retryBaseDelayMs: 10 },
        webhooks: { secret, baseDelayMs: 10 },
        security: { allowPrivateNetworks: true },
      },
    });
    imageData = (await solidPng(64, 32)).toString("base64");
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    await receiver?.close();
  });

  const submit = (body: Record<string, unknown>) => submitCaption(station.url, body);
  const job = (id: string) => jobView(station.url, id);
  const finished = (id: string) =>
    eventually(async () => {
      const view = await job(id);
      return ["completed", "failed", "cancelled"].includes(view.status) ? view : undefined;
    });

  it("accepts with 202, runs the job, and delivers a webhook signed per Standard Webhooks", async () => {
    const response = await submit({ image_data: imageData, webhook_url: receiver.url });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as JobView;
    expect(accepted.status).toBe("queued");
    expect(response.headers.get("location")).toBe(`/caption/job/${accepted.job_id}`);
    const done = await finished(accepted.job_id);
    expect(done).toMatchObject({
      status: "completed",
      attempts: 1,
      result: { caption: captionFor("normal", 64, 32), model: "md/moondream" },
    });

    const delivery = await eventually(() => receiver.deliveries.find((entry) => entry.body.includes(accepted.job_id)));
    const verified = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, unknown>;
    expect(verified).toMatchObject({ type: "caption.job.completed", job_id: accepted.job_id, status: "completed", result: done.result });
    expect(delivery.headers["webhook-id"]).toBe(`msg_${accepted.job_id}`);
    expect(() =>
      new Webhook(secret).verify(delivery.body.replace("completed", "failed"), delivery.headers as Record<string, string>),
    ).toThrow();
    const view = await eventually(async () => {
      const current = await job(accepted.job_id);
      return current.webhook?.attempts.length === 1 ? current : undefined;
    });
    expect(view.webhook).toMatchObject({ url: receiver.url, attempts: [{ attempt: 1, status_code: 200, ok: true }] });
  });

  it("uses the prompt as a question when one is given", async () => {
    const accepted = (await (await submit({ image_data: imageData, prompt: "Is it a square?" })).json()) as JobView;
    const done = await finished(accepted.job_id);
    expect(done.result?.caption).toBe('You asked "Is it a square?" about a 64x32 image.');
  });

  it("retries retryable provider errors with backoff, then succeeds", async () => {
    upstream.fail(503, 2);
    const accepted = (await (await submit({ image_data: imageData })).json()) as JobView;
    const done = await finished(accepted.job_id);
    expect(done).toMatchObject({ status: "completed", attempts: 3 });
    expect(done.error).toBeUndefined();
  });

  it("fails at once on a non-retryable provider error and reports it to the webhook", async () => {
    upstream.fail(422);
    const accepted = (await (await submit({ image_data: imageData, webhook_url: `${receiver.url}?failed` })).json()) as JobView;
    const done = await finished(accepted.job_id);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { code: "upstream_rejected" } });
    const delivery = await eventually(() => receiver.deliveries.find((entry) => entry.body.includes(accepted.job_id)));
    expect(JSON.parse(delivery.body)).toMatchObject({ status: "failed", error: { code: "upstream_rejected" } });
  });

  it("retries a webhook endpoint that fails twice, recording every attempt on the job", async () => {
    receiver.respondWith(500, 503);
    const accepted = (await (await submit({ image_data: imageData, webhook_url: receiver.url })).json()) as JobView;
    const view = await eventually(async () => {
      const current = await job(accepted.job_id);
      return current.webhook?.attempts.some((attempt) => attempt.ok) ? current : undefined;
    });
    expect(view.webhook?.attempts).toMatchObject([
      { attempt: 1, status_code: 500, ok: false, error: "the endpoint answered HTTP 500" },
      { attempt: 2, status_code: 503, ok: false },
      { attempt: 3, status_code: 200, ok: true },
    ]);
    const deliveries = receiver.deliveries.filter((entry) => entry.body.includes(accepted.job_id));
    expect(deliveries.map((entry) => entry.status)).toEqual([500, 503, 200]);
    expect(new Set(deliveries.map((entry) => entry.headers["webhook-id"])).size).toBe(1);
    for (const entry of deliveries)
      expect(() => new Webhook(secret).verify(entry.body, entry.headers as Record<string, string>)).not.toThrow();
  });

  it("reports stats with throughput and latency", async () => {
    const stats = (await (await fetch(`${station.url}/caption/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ queued: 0, running: 0, failed: 1, capacity: 50, concurrency: 2 });
    expect(stats.completed).toBeGreaterThanOrEqual(4);
    expect(stats.throughput as number).toBeGreaterThan(0);
    expect((stats.latency_ms as { p50: number }).p50).toBeGreaterThanOrEqual(0);
    expect(stats.webhooks).toMatchObject({ queued: 0, failed: 0 });
  });

  it("fetches http(s) image URLs (private hosts allowed by this config) and reports fetch failures", async () => {
    const png = Buffer.from(imageData, "base64");
    const images = createServer((request, response) => {
      if (request.url === "/cat.png") response.writeHead(200, { "content-type": "image/png" }).end(png);
      else response.writeHead(404).end("missing");
    });
    await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
    try {
      const post = (image_url: string) =>
        fetch(`${station.url}/v1/caption`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ image_url }),
        });
      const ok = await post(`${origin}/cat.png`);
      expect(await ok.json()).toMatchObject({ caption: captionFor("normal", 64, 32) });
      const missing = await post(`${origin}/dog.png`);
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("image_fetch_failed");
      const queued = await submit({ image_data: `${origin}/cat.png` });
      expect(queued.status).toBe(202);
    } finally {
      images.closeAllConnections();
      await new Promise((resolve) => images.close(resolve));
    }
  });

  it("refuses an unknown model at submit time, before anything is queued", async () => {
    const response = await submit({ image_data: imageData, model: "nobody/nothing" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
  });

  it("answers 404 for unknown jobs and 400 for a bad webhook URL", async () => {
    const missing = await fetch(`${station.url}/caption/job/job_nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("job_not_found");
    const badUrl = await submit({ image_data: imageData, webhook_url: "not a url" });
    expect(badUrl.status).toBe(400);
  });

  it("describes and captions synchronously: JSON, multipart upload, /caption and /model/info", async () => {
    const described = await fetch(`${station.url}/describe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_data: imageData, prompt: "What is it?" }),
    });
    expect(await described.json()).toEqual({
      description: 'You asked "What is it?" about a 64x32 image.',
      model: "md/moondream",
      prompt: "What is it?",
    });

    const form = new FormData();
    form.append("file", new Blob([Buffer.from(imageData, "base64")], { type: "image/png" }), "square.png");
    form.append("length", "short");
    const uploaded = await fetch(`${station.url}/describe/file`, { method: "POST", body: form });
    expect(await uploaded.json()).toEqual({ description: captionFor("short", 64, 32), model: "md/moondream" });

    const textForm = new FormData();
    textForm.append("file", new Blob([Buffer.from("plain text")], { type: "text/plain" }), "notes.txt");
    const refused = await fetch(`${station.url}/describe/file`, { method: "POST", body: textForm });
    expect(refused.status).toBe(400);
    const noFile = await fetch(`${station.url}/describe/file`, { method: "POST", body: new FormData() });
    expect(noFile.status).toBe(400);

    const caption = await fetch(`${station.url}/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_data: `data:image/png;base64,${imageData}`, length: "long" }),
    });
    expect(await caption.json()).toEqual({ caption: captionFor("long", 64, 32), model: "md/moondream" });

    const info = (await (await fetch(`${station.url}/model/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      model: "md/moondream",
      kind: "native",
      provider: "md",
      capabilities: ["caption", "query", "detect", "point"],
    });
  });
});

describe("caption queue limits and cancellation", () => {
  let upstream: FakeMoondreamUpstream;
  let station: TestStation;
  let imageData: string;

  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream({ delayMs: 60_000 });
    station = await startTestStation({
      config: { providers: [{ id: "md", type: "moondream", baseUrl: upstream.url }], queue: { capacity: 2, concurrency: 1 } },
    });
    imageData = (await solidPng(16, 16)).toString("base64");
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const submit = (body: Record<string, unknown>) => submitCaption(station.url, body);
  const cancel = (id: string) => fetch(`${station.url}/caption/job/${id}`, { method: "DELETE" });
  const status = async (id: string) => (await jobView(station.url, id)).status;

  it("answers 429 with Retry-After when full, and frees a slot on cancel", async () => {
    const first = (await (await submit({ image_data: imageData })).json()) as JobView;
    await eventually(async () => (await status(first.job_id)) === "running");
    const second = (await (await submit({ image_data: imageData })).json()) as JobView;
    const third = await submit({ image_data: imageData });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe("queue_full");

    const cancelledQueued = await cancel(second.job_id);
    expect(cancelledQueued.status).toBe(200);
    expect(((await cancelledQueued.json()) as JobView).status).toBe("cancelled");
    expect((await submit({ image_data: imageData })).status).toBe(202);

    // Cancelling the running job aborts its provider call; the worker moves on.
    expect((await cancel(first.job_id)).status).toBe(200);
    expect(await status(first.job_id)).toBe("cancelled");
    const again = await cancel(first.job_id);
    expect(again.status).toBe(409);
    expect((await cancel("job_missing")).status).toBe(404);
    const stats = await captionStats(station.url);
    expect(stats).toMatchObject({ cancelled: 2, capacity: 2, concurrency: 1 });
    expect(stats.queued + stats.running).toBe(1);
  });
});

describe("webhook URLs are SSRF-guarded", () => {
  let station: TestStation;
  let upstream: FakeMoondreamUpstream;
  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream();
    station = await startTestStation({ config: { providers: [{ id: "md", type: "moondream", baseUrl: upstream.url }] } });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  it("refuses loopback and private webhook URLs unless the config allows them; nothing is enqueued", async () => {
    const imageData = (await solidPng(8, 8)).toString("base64");
    for (const webhook_url of ["http://127.0.0.1:9/hook", "http://10.0.0.8/hook", "http://[::1]/hook", "http://169.254.169.254/hook"]) {
      const response = await submitCaption(station.url, { image_data: imageData, webhook_url });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string; param: string } }).error).toMatchObject({
        code: "url_not_allowed",
        param: "webhook_url",
      });
    }
    const stats = await captionStats(station.url);
    expect(stats.queued + stats.running + stats.completed).toBe(0);
  });
});
