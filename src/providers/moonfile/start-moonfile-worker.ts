import { Worker } from "node:worker_threads";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { BoundingBox, Point } from "../spec/vision-model.ts";
import type { MoonfileAnswer, MoonfileTask } from "./load-moonfile.ts";
import type {
  FromMoonfileWorker,
  MoonfileCacheReport,
  MoonfileWorkerData,
  MoonfileWorkerResult,
  MoonfileWorkerTask,
  ToMoonfileWorker,
} from "./moonfile-worker-protocol.ts";
import { workerEntry } from "./worker-entry.ts";

type WithText = { onText?: (text: string) => void };

/** A resident `.mf`: its ONNX sessions and encoded images live in a worker thread of their own. */
export interface MoonfileResident extends Resident {
  readonly family: "moondream-mf";
  readonly threads: number;
  /** Bounds requests running on this model (503 past the queue). */
  readonly slots: SequencePool<number>;
  caption(task: MoonfileTask & WithText & { length: string; maxTokens: number }): Promise<MoonfileAnswer>;
  query(task: MoonfileTask & WithText & { question: string; maxTokens: number }): Promise<MoonfileAnswer>;
  detect(task: MoonfileTask & { object: string }): Promise<BoundingBox[]>;
  point(task: MoonfileTask & { object: string }): Promise<Point[]>;
}

export interface StartMoonfileWorkerOptions {
  modelId: string;
  worker: MoonfileWorkerData;
  parallelRequests: number;
  maxQueue: number;
  /** Encoding-cache counters after every task (metrics). */
  onCacheReport(report: MoonfileCacheReport): void;
  /** The worker ended without being disposed: this resident answers no more. */
  onCrash?(error: Error): void;
}

interface Pending {
  resolve(result: MoonfileWorkerResult): void;
  reject(error: Error): void;
  onText: ((text: string) => void) | undefined;
}

/**
 * Starts the worker thread that loads the `.mf`, resolving once it is ready or rejecting with the
 * loader's reason (a corrupt graph is a message, never a crash). The worker is never terminated:
 * dispose aborts running tasks, waits for them, then asks the worker to release its sessions and end.
 */
export async function startMoonfileWorker(options: StartMoonfileWorkerOptions): Promise<MoonfileResident> {
  const { entry, eval: isSource } = workerEntry(import.meta.url, "moonfile-worker");
  const worker = new Worker(entry, { eval: isSource, workerData: options.worker });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let stopped: Error | undefined;
  let disposing = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const send = (message: ToMoonfileWorker) => worker.postMessage(message);
  // An idle worker must not keep the process alive; a running task must.
  const updateRef = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const loading = new Promise<void>((resolve, reject) => {
    const onMessage = (message: FromMoonfileWorker) => {
      if (message.type === "ready") done(resolve);
      else if (message.type === "load-failed") done(() => reject(new Error(message.message)));
    };
    const onError = (error: Error) => done(() => reject(error));
    const onExit = (code: number) => done(() => reject(new Error(`the model's worker thread ended while loading (exit code ${code})`)));
    const done = (settle: () => void) => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      settle();
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
  try {
    await loading;
  } catch (error) {
    // After a failed load the worker closes its port and ends by itself.
    await exited;
    throw error;
  }
  updateRef();

  worker.on("message", (message: FromMoonfileWorker) => {
    if (message.type === "text") pending.get(message.id)?.onText?.(message.text);
    else if (message.type === "done" || message.type === "failed") {
      options.onCacheReport(message.cache);
      const task = pending.get(message.id);
      pending.delete(message.id);
      updateRef();
      if (message.type === "done") task?.resolve(message.result);
      else task?.reject(new Error(message.message));
    }
  });
  const onStopped = (error: Error) => {
    if (stopped !== undefined) return;
    stopped = error;
    for (const task of pending.values()) task.reject(error);
    pending.clear();
    if (!disposing) options.onCrash?.(error);
  };
  worker.on("error", (error) => onStopped(new Error(`the model's worker thread failed: ${error.message}`)));
  worker.on("exit", (code) => onStopped(new Error(`the model's worker thread ended (exit code ${code})`)));

  const run = (task: MoonfileWorkerTask, signal: AbortSignal | undefined, onText?: (text: string) => void) => {
    if (stopped !== undefined) return Promise.reject(stopped);
    signal?.throwIfAborted();
    const id = nextId++;
    return new Promise<MoonfileWorkerResult>((resolve, reject) => {
      const abort = () => send({ type: "abort", id });
      signal?.addEventListener("abort", abort, { once: true });
      const cleanUp = () => signal?.removeEventListener("abort", abort);
      pending.set(id, {
        resolve: (result) => {
          cleanUp();
          if (signal?.aborted) reject(signal.reason);
          else resolve(result);
        },
        reject: (error) => {
          cleanUp();
          reject(signal?.aborted ? signal.reason : error);
        },
        onText,
      });
      updateRef();
      send({ type: "run", id, task });
    });
  };

  // A view into a larger buffer (a multipart body) would be copied whole: send only the image.
  const image = (task: MoonfileTask) => {
    const data = task.image.data.byteLength === task.image.data.buffer.byteLength ? task.image.data : task.image.data.slice();
    return { image: { data, mediaType: task.image.mediaType }, contentHash: task.contentHash };
  };

  const settled = () =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (pending.size > 0 && stopped === undefined) return;
        worker.off("message", check);
        worker.off("exit", check);
        resolve();
      };
      worker.on("message", check);
      worker.on("exit", check);
      check();
    });

  return {
    family: "moondream-mf",
    sizeBytes: options.worker.index.sizeBytes,
    threads: options.worker.threads,
    slots: createSequencePool({ size: options.parallelRequests, maxQueue: options.maxQueue, modelId: options.modelId, create: () => 0 }),
    caption: async (task) =>
      (await run(
        { skill: "caption", ...image(task), length: task.length, maxTokens: task.maxTokens, stream: task.onText !== undefined },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    query: async (task) =>
      (await run(
        { skill: "query", ...image(task), question: task.question, maxTokens: task.maxTokens, stream: task.onText !== undefined },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    detect: async (task) => (await run({ skill: "detect", ...image(task), object: task.object }, task.signal)) as BoundingBox[],
    point: async (task) => (await run({ skill: "point", ...image(task), object: task.object }, task.signal)) as Point[],
    async dispose() {
      disposing = true;
      if (stopped !== undefined) return;
      worker.ref();
      for (const id of pending.keys()) send({ type: "abort", id });
      await settled();
      if (stopped === undefined) send({ type: "dispose" });
      await exited;
    },
  };
}
