import { Webhook } from "standardwebhooks";
import { StationError } from "../errors/station-error.ts";
import type { GuardedPost } from "../net/create-guarded-post.ts";
import type { ClaimedJob, QueueBackend } from "./queue-backend.ts";

/** What a webhook delivery job carries. */
export interface WebhookDeliveryPayload {
  url: string;
  /** The job the event is about. */
  jobId: string;
  /** The JSON body, fixed at enqueue time so every retry sends the same bytes. */
  body: Record<string, unknown>;
}

export interface WebhookDeliveryOptions {
  backend: QueueBackend;
  secret: string;
  /** A guarded POST: SSRF checks, no redirects, a per-attempt timeout. */
  post: GuardedPost;
  now?: () => number;
}

/**
 * Delivers one webhook attempt, signed per Standard Webhooks: `webhook-id` is the delivery
 * job's id (the same on every retry, so receivers can de-duplicate), `webhook-timestamp` and
 * `webhook-signature` are fresh per attempt. Every attempt is recorded; anything but a 2xx
 * (a redirect included) is a retryable failure.
 */
export function createWebhookDeliveryHandler(options: WebhookDeliveryOptions): (job: ClaimedJob, signal: AbortSignal) => Promise<unknown> {
  const signer = new Webhook(options.secret);
  const now = options.now ?? Date.now;
  return async (job, signal) => {
    const payload = job.payload as WebhookDeliveryPayload;
    const body = JSON.stringify(payload.body);
    const attemptedAt = now();
    const timestamp = new Date(attemptedAt);
    const headers = {
      "content-type": "application/json",
      "user-agent": "Station-Webhooks/1",
      "webhook-id": job.id,
      "webhook-timestamp": String(Math.floor(attemptedAt / 1000)),
      "webhook-signature": signer.sign(job.id, timestamp, body),
    };
    let statusCode: number | undefined;
    let failure: string | undefined;
    try {
      const response = await options.post(payload.url, { headers, body, signal });
      statusCode = response.status;
      if (response.status < 200 || response.status >= 300) failure = `the endpoint answered HTTP ${response.status}`;
    } catch (error) {
      failure = (error as Error).message;
    }
    await options.backend.recordWebhookAttempt({
      jobId: payload.jobId,
      deliveryId: job.id,
      attempt: job.attempts,
      url: payload.url,
      attemptedAt,
      durationMs: now() - attemptedAt,
      ...(statusCode === undefined ? {} : { statusCode }),
      ...(failure === undefined ? {} : { error: failure }),
      ok: failure === undefined,
    });
    if (failure !== undefined) {
      throw new StationError({ code: "webhook_failed", status: 502, message: failure, isRetryable: true });
    }
    return { statusCode };
  };
}
