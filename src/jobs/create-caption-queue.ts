import { randomUUID } from "node:crypto";
import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import type { Logger } from "../logging/create-logger.ts";
import { assertPublicUrl } from "../net/assert-public-url.ts";
import { createGuardedPost } from "../net/create-guarded-post.ts";
import type { SecretRedactor } from "../security/secret-redactor.ts";
import { collectText } from "../vision/collect-text.ts";
import type { VisionService } from "../vision/vision-service.ts";
import type { CaptionJobInput, CaptionJobResult, CaptionJobView, CaptionQueue } from "./caption-queue.ts";
import { createWebhookDeliveryHandler, type WebhookDeliveryPayload } from "./create-webhook-delivery-handler.ts";
import { createWorkerPool } from "./create-worker-pool.ts";
import { exponentialBackoff } from "./exponential-backoff.ts";
import { percentile } from "./percentile.ts";
import type { ClaimedJob, JobError, JobRecord, NewJob, QueueBackend } from "./queue-backend.ts";

const captionQueueName = "caption";
const webhookQueueName = "webhook";

interface CaptionPayload {
  image: string;
  mediaType: string;
  prompt?: string;
  model?: string;
  webhookUrl?: string;
}

export interface CaptionQueueOptions {
  config: StationConfig;
  backend: QueueBackend;
  vision: VisionService;
  webhookSecret: string;
  logger: Logger;
  /** Job failures are stored and sent to webhook receivers with configured secrets redacted. */
  redactor?: SecretRedactor;
  now?: () => number;
  pollIntervalMs?: number;
}

/**
 * Caption jobs and their webhook deliveries on one durable backend. A job's webhook is
 * enqueued in the same transaction that finishes the job, so a crash can never complete a
 * job and forget to tell the receiver.
 */
export function createCaptionQueue(options: CaptionQueueOptions): CaptionQueue {
  const { config, backend, vision, logger } = options;
  const now = options.now ?? Date.now;
  const { queue: queueConfig, webhooks: webhookConfig } = config;
  const allowPrivateNetworks = config.security.allowPrivateNetworks;
  const webhookPost = createGuardedPost({ allowPrivateNetworks, timeoutMs: webhookConfig.timeoutMs });

  const webhookFor = (job: JobRecord, status: string, outcome: { result?: unknown; error?: JobError }): NewJob[] => {
    const url = (job.payload as CaptionPayload).webhookUrl;
    if (url === undefined) return [];
    const body: Record<string, unknown> = {
      type: `caption.job.${status}`,
      timestamp: new Date(now()).toISOString(),
      job_id: job.id,
      status,
      ...(outcome.result === undefined ? {} : { result: outcome.result }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
    return [
      {
        // One delivery per job: a stable id makes the enqueue idempotent and is the `webhook-id` header.
        id: `msg_${job.id}`,
        queue: webhookQueueName,
        parentId: job.id,
        maxAttempts: webhookConfig.attempts,
        payload: { url, jobId: job.id, body } satisfies WebhookDeliveryPayload,
      },
    ];
  };

  const captionHandler = async (job: ClaimedJob, signal: AbortSignal): Promise<CaptionJobResult> => {
    const payload = job.payload as CaptionPayload;
    const image = await vision.intake.fromBytes(Buffer.from(payload.image, "base64"));
    const model = vision.describe(payload.model).id;
    const parts =
      payload.prompt === undefined
        ? vision.caption({ model, image, length: "normal", signal })
        : vision.query({ model, image, question: payload.prompt, signal });
    return { caption: (await collectText(parts)).trim(), model };
  };

  const captionPool = createWorkerPool({
    backend,
    queue: captionQueueName,
    concurrency: queueConfig.concurrency,
    leaseMs: queueConfig.leaseMs,
    jobTimeoutMs: queueConfig.jobTimeoutMs,
    backoff: exponentialBackoff({ baseMs: queueConfig.retryBaseDelayMs, maxMs: 60_000 }),
    handler: captionHandler,
    ...(options.redactor === undefined ? {} : { redact: options.redactor.redact }),
    followUps: (job, outcome) =>
      outcome.status === "completed"
        ? webhookFor(job, "completed", { result: outcome.result })
        : webhookFor(job, "failed", { error: outcome.error }),
    onFollowUps: () => webhookPool.wake(),
    logger,
    now,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });

  const webhookPool = createWorkerPool({
    backend,
    queue: webhookQueueName,
    concurrency: webhookConfig.concurrency,
    leaseMs: queueConfig.leaseMs,
    jobTimeoutMs: webhookConfig.timeoutMs + 1000,
    backoff: exponentialBackoff({ baseMs: webhookConfig.baseDelayMs, maxMs: 3_600_000 }),
    handler: createWebhookDeliveryHandler({ backend, secret: options.webhookSecret, post: webhookPost, now }),
    logger,
    now,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });

  const view = async (job: JobRecord): Promise<CaptionJobView> => {
    const payload = job.payload as CaptionPayload;
    const iso = (time: number | undefined): string | undefined => (time === undefined ? undefined : new Date(time).toISOString());
    const attempts = payload.webhookUrl === undefined || job.status === "queued" ? [] : await backend.webhookAttempts(job.id);
    return {
      job_id: job.id,
      status: job.status,
      ...(job.result === undefined ? {} : { result: job.result as CaptionJobResult }),
      ...(job.error === undefined || job.status === "completed" ? {} : { error: job.error }),
      attempts: job.attempts,
      max_attempts: job.maxAttempts,
      created_at: iso(job.createdAt)!,
      ...(job.startedAt === undefined ? {} : { started_at: iso(job.startedAt) }),
      ...(job.finishedAt === undefined ? {} : { finished_at: iso(job.finishedAt) }),
      ...(payload.webhookUrl === undefined
        ? {}
        : {
            webhook: {
              url: payload.webhookUrl,
              attempts: attempts.map((attempt) => ({
                attempt: attempt.attempt,
                at: iso(attempt.attemptedAt)!,
                duration_ms: attempt.durationMs,
                ...(attempt.statusCode === undefined ? {} : { status_code: attempt.statusCode }),
                ...(attempt.error === undefined ? {} : { error: attempt.error }),
                ok: attempt.ok,
              })),
            },
          }),
    };
  };

  const find = async (jobId: string): Promise<JobRecord> => {
    const job = await backend.get(jobId);
    if (job === undefined || job.queue !== captionQueueName) throw errors.notFound("Job", jobId, "job_not_found");
    return job;
  };

  const retryAfterSeconds = async (): Promise<number> => {
    const { latenciesMs } = await backend.recentCompletions(captionQueueName, now() - 600_000, 200);
    const typical = percentile(latenciesMs, 0.5) ?? 5000;
    return Math.min(300, Math.max(1, Math.ceil(typical / 1000)));
  };

  /** A caption job the lease sweep failed for good tells its receiver, as any failed job does. */
  const leaseFailureWebhook = (job: JobRecord): NewJob[] =>
    job.queue === captionQueueName ? webhookFor(job, "failed", job.error === undefined ? {} : { error: job.error }) : [];

  let timers: NodeJS.Timeout[] = [];
  const maintain = async (): Promise<void> => {
    const requeued = await backend.requeueExpired(now(), leaseFailureWebhook);
    if (requeued > 0) {
      logger.info({ requeued }, "re-queued jobs whose worker stopped (expired lease)");
      captionPool.wake(requeued);
      webhookPool.wake(requeued);
    }
  };
  const cleanup = async (): Promise<void> => {
    const deleted = await backend.deleteFinished(now() - queueConfig.retentionMs);
    if (deleted > 0) logger.info({ deleted }, "deleted finished jobs past retention");
  };

  return {
    async submit(input: CaptionJobInput) {
      if (input.webhookUrl !== undefined) await assertPublicUrl(input.webhookUrl, { allowPrivateNetworks, param: "webhook_url" });
      const payload: CaptionPayload = {
        image: Buffer.from(input.image.data).toString("base64"),
        mediaType: input.image.mediaType,
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.model === undefined ? {} : { model: input.model }),
        ...(input.webhookUrl === undefined ? {} : { webhookUrl: input.webhookUrl }),
      };
      const outcome = await backend.enqueue(
        { id: `job_${randomUUID().replaceAll("-", "")}`, queue: captionQueueName, payload, maxAttempts: queueConfig.maxAttempts },
        now(),
        { capacity: queueConfig.capacity },
      );
      if (!outcome.accepted) {
        throw errors.queueFull(
          `The caption queue is full (${outcome.unfinished} of ${queueConfig.capacity} jobs waiting or running); try again later`,
          await retryAfterSeconds(),
        );
      }
      captionPool.wake();
      return view(outcome.job);
    },
    async get(jobId) {
      return view(await find(jobId));
    },
    async cancel(jobId) {
      const job = await find(jobId);
      const cancelled = await backend.cancel(job.id, now(), webhookFor(job, "cancelled", {}));
      if (!cancelled) throw errors.conflict(`The job '${jobId}' has already finished (${job.status}) and cannot be cancelled`);
      captionPool.abort(job.id);
      webhookPool.wake();
      return view((await backend.get(job.id)) ?? job);
    },
    async stats() {
      const [counts, webhookCounts, recent] = await Promise.all([
        backend.counts(captionQueueName),
        backend.counts(webhookQueueName),
        backend.recentCompletions(captionQueueName, now() - 60_000, 1000),
      ]);
      return {
        ...counts,
        capacity: queueConfig.capacity,
        concurrency: queueConfig.concurrency,
        throughput: Math.round((recent.count / 60) * 1000) / 1000,
        completed_last_minute: recent.count,
        latency_ms: { p50: percentile(recent.latenciesMs, 0.5), p95: percentile(recent.latenciesMs, 0.95) },
        webhooks: {
          queued: webhookCounts.queued,
          running: webhookCounts.running,
          delivered: webhookCounts.completed,
          failed: webhookCounts.failed,
        },
      };
    },
    async start(startOptions = {}) {
      if (startOptions.recoverOrphans) {
        const recovered = await backend.recoverRunning(now(), leaseFailureWebhook);
        if (recovered > 0) logger.info({ recovered }, "re-queued jobs left running by a previous process");
      }
      captionPool.start();
      webhookPool.start();
      // Fire-and-forget, so each run logs its own failure: a rejected sweep must never become an
      // unhandled rejection (Node ends the process on one by default).
      const sweepLeases = (): void => void maintain().catch((error: unknown) => logger.error({ err: error }, "lease sweep failed"));
      const sweepFinished = (): void => void cleanup().catch((error: unknown) => logger.error({ err: error }, "cleanup failed"));
      sweepLeases();
      sweepFinished();
      const sweep = Math.max(100, Math.min(5000, Math.floor(queueConfig.leaseMs / 2)));
      timers = [setInterval(sweepLeases, sweep), setInterval(sweepFinished, 600_000)];
      for (const timer of timers) timer.unref();
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all([captionPool.stop(), webhookPool.stop()]);
      await webhookPost.close();
    },
  };
}
