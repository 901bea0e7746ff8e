import type { JobError, JobStatus, WebhookAttempt } from "./queue-backend.ts";

export interface CaptionJobInput {
  /** The prepared image bytes and type (validated before the job is accepted). */
  image: { data: Uint8Array; mediaType: string };
  prompt?: string | undefined;
  model?: string | undefined;
  webhookUrl?: string | undefined;
}

export interface CaptionJobResult {
  caption: string;
  model: string;
}

/** A caption job as the API shows it. */
export interface CaptionJobView {
  job_id: string;
  status: JobStatus;
  result?: CaptionJobResult;
  error?: JobError;
  attempts: number;
  max_attempts: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  webhook?: {
    url: string;
    attempts: {
      attempt: number;
      at: string;
      duration_ms: number;
      status_code?: number;
      error?: string;
      ok: boolean;
    }[];
  };
}

export interface CaptionQueueStats {
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  capacity: number;
  concurrency: number;
  /** Completed jobs per second over the last minute. */
  throughput: number;
  completed_last_minute: number;
  latency_ms: { p50: number | null; p95: number | null };
  webhooks: { queued: number; running: number; delivered: number; failed: number };
}

/** The durable caption queue: submit, inspect, cancel, stats; workers run inside. */
export interface CaptionQueue {
  /** Commits the job, then resolves; throws 429 queue_full (with Retry-After) past capacity. */
  submit(input: CaptionJobInput): Promise<CaptionJobView>;
  get(jobId: string): Promise<CaptionJobView>;
  cancel(jobId: string): Promise<CaptionJobView>;
  stats(): Promise<CaptionQueueStats>;
  /**
   * Starts the workers. `recoverOrphans`: this process holds the data-dir lock, so jobs marked
   * running belong to a process that died; they are re-queued before any worker claims.
   */
  start(options?: { recoverOrphans?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export type { WebhookAttempt };
