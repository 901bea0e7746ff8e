import type { JobError, JobRecord } from "./queue-backend.ts";

/** What BullMQ keeps of a job in its `data`: the parts that never change after enqueue. */
export interface BullmqJobData {
  payload: unknown;
  maxAttempts: number;
  parentId?: string;
  createdAt: number;
  /** The runAt asked for at enqueue (absent on jobs stored before it was kept here: createdAt). */
  runAt?: number;
  /** A follow-up added parked by this claim of its parent (see the backend's complete). */
  parkedBy?: string;
}

/**
 * Station's own fields, written into BullMQ's job hash (never a hash of Station's own) and only
 * on the paths that put a job back or fail it (retry, release, an expired lease, a non-default
 * lease): a job that runs once and completes carries none, and costs no Redis call for them.
 * BullMQ's fields give the rest: `ats` (attempts started: BullMQ counts each claim, a stalled
 * one included), `processedOn` (the current claim's start), `finishedOn`, `returnvalue`.
 */
export const stationField = {
  /** The last failure, as JSON {code, message}. */
  error: "stErr",
  /** When the job may next run, set when it is put back (BullMQ's `delay` is relative to an unkept time). */
  runAt: "stRunAt",
  /** The first claim's start (BullMQ's `processedOn` is the latest claim's). */
  startedAt: "stStart",
  /** Claims given back unfinished (shutdown): `ats` minus this is the attempt count. */
  released: "stRel",
  /** The current claim's lease end when it is not `processedOn` + the default lease (a heartbeat, another length). */
  lease: "stLease",
} as const;

const numberOf = (value: string | undefined): number | undefined => (value === undefined || value === "" ? undefined : Number(value));

/** Attempts so far from a job's hash: claims started, less those given back. */
export const attemptsOf = (hash: Record<string, string | undefined>): number =>
  Math.max(0, (numberOf(hash.ats) ?? 0) - (numberOf(hash[stationField.released]) ?? 0));

// When the current claim's lease ends (Station's lease field, else processedOn plus the default
// lease) is decided in Redis, by the lease sweep's script (`expiredLeasesScript`).

/** A cancelled job's record: BullMQ's copy is removed, this hash (Station's) keeps what it said. */
export interface CancelledMeta {
  cancelled?: string;
  finishedAt?: string;
  attempts?: string;
  startedAt?: string;
  runAt?: string;
  error?: string;
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** A job's record from BullMQ's hash of it and its state, or from the hash a cancellation left. */
export function bullmqJobRecord(
  queue: string,
  id: string,
  hash: Record<string, string>,
  cancelled: CancelledMeta,
  state: "active" | "completed" | "failed" | "waiting",
): JobRecord | undefined {
  if (cancelled.cancelled !== undefined) {
    const data = JSON.parse(cancelled.cancelled) as BullmqJobData;
    return {
      ...common(queue, id, data),
      status: "cancelled",
      ...(cancelled.error === undefined ? {} : { error: JSON.parse(cancelled.error) as JobError }),
      attempts: numberOf(cancelled.attempts) ?? 0,
      runAt: numberOf(cancelled.runAt) ?? data.runAt ?? data.createdAt,
      ...optional("startedAt", numberOf(cancelled.startedAt)),
      ...optional("finishedAt", numberOf(cancelled.finishedAt)),
    };
  }
  if (hash.data === undefined) return undefined;
  const data = JSON.parse(hash.data) as BullmqJobData;
  const status = state === "active" ? "running" : state === "waiting" ? "queued" : state;
  const error = hash[stationField.error];
  const attempts = attemptsOf(hash);
  return {
    ...common(queue, id, data),
    status,
    ...(status === "completed" ? { result: parse(hash.returnvalue) ?? null } : {}),
    ...(error === undefined ? {} : { error: JSON.parse(error) as JobError }),
    attempts,
    runAt: numberOf(hash[stationField.runAt]) ?? data.runAt ?? data.createdAt,
    ...optional("startedAt", numberOf(hash[stationField.startedAt]) ?? (attempts > 0 ? numberOf(hash.processedOn) : undefined)),
    ...optional("finishedAt", status === "completed" || status === "failed" ? numberOf(hash.finishedOn) : undefined),
  };
}

function common(queue: string, id: string, data: BullmqJobData) {
  return {
    id,
    queue,
    payload: data.payload,
    maxAttempts: data.maxAttempts,
    ...(data.parentId === undefined ? {} : { parentId: data.parentId }),
    createdAt: data.createdAt,
  };
}

const optional = <K extends string>(name: K, value: number | undefined): Partial<Record<K, number>> =>
  (value === undefined ? {} : { [name]: value }) as Partial<Record<K, number>>;
