import { Worker } from "node:worker_threads";
import { workerEntry } from "../engine-worker/worker-entry.ts";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { EncodingCacheReport, Florence2WorkerData, FromFlorence2Worker, ToFlorence2Worker } from "./florence2-worker-protocol.ts";
import type { Florence2Answer, Florence2Task } from "./load-florence2.ts";

/** A resident Florence-2: its ONNX sessions live in a worker thread of their own. */
export interface Florence2Resident extends Resident {
  readonly threads: number;
  /** Bounds requests running on this model (503 past the queue). */
  readonly slots: SequencePool<number>;
  run(task: Florence2Task): Promise<Florence2Answer>;
}

export interface StartFlorence2WorkerOptions {
  modelId: string;
  worker: Florence2WorkerData;
  sizeBytes: number;
  parallelRequests: number;
  maxQueue: number;
  /** Encoding-cache counters after every task (metrics). */
  onCacheReport(report: EncodingCacheReport): void;
  /** The worker ended without being disposed (an error inside it): this resident answers no more. */
  onCrash?(error: Error): void;
}

interface Pending {
  resolve(answer: Florence2Answer): void;
  reject(error: Error): void;
  onText: ((text: string) => void) | undefined;
}

/**
 * Starts a worker thread that loads the model, and resolves once it is ready (or rejects with
 * the loader's own reason: a corrupt graph is an error message, never a crash). The worker is
 * never terminated: dispose interrupts running tasks, waits for them, then asks the worker to
 * release its sessions and end (terminating a worker inside session.run aborts the process).
 */
export async function startFlorence2Worker(options: StartFlorence2WorkerOptions): Promise<Florence2Resident> {
  const { entry, eval: isSource } = workerEntry(import.meta.url, "florence2-worker");
  const worker = new Worker(entry, { eval: isSource, workerData: options.worker });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let stopped: Error | undefined;
  let disposing = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  const send = (message: ToFlorence2Worker) => worker.postMessage(message);
  const failAll = (error: Error) => {
    for (const task of pending.values()) task.reject(error);
    pending.clear();
  };
  // An idle worker must not keep the process alive; a running task must.
  const updateRef = () => (pending.size > 0 ? worker.ref() : worker.unref());

  let onLoadMessage: ((message: FromFlorence2Worker) => void) | undefined;
  let onLoadError: ((error: Error) => void) | undefined;
  let onLoadExit: ((code: number) => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onLoadMessage = (message) => {
        if (message.type === "ready") resolve();
        else if (message.type === "load-failed") reject(new Error(message.message));
      };
      onLoadError = reject;
      onLoadExit = (code) => reject(new Error(`the model's worker thread ended while loading (exit code ${code})`));
      worker.on("message", onLoadMessage);
      worker.on("error", onLoadError);
      worker.on("exit", onLoadExit);
    });
  } catch (error) {
    // The worker closes its port after reporting a failed load and ends by itself.
    await exited;
    throw error;
  } finally {
    if (onLoadMessage !== undefined) worker.off("message", onLoadMessage);
    if (onLoadError !== undefined) worker.off("error", onLoadError);
    if (onLoadExit !== undefined) worker.off("exit", onLoadExit);
  }
  updateRef();

  worker.on("message", (message: FromFlorence2Worker) => {
    if (message.type === "text") pending.get(message.id)?.onText?.(message.text);
    else if (message.type === "done" || message.type === "failed") {
      options.onCacheReport(message.cache);
      const task = pending.get(message.id);
      pending.delete(message.id);
      updateRef();
      if (message.type === "done") task?.resolve(message.answer);
      else task?.reject(new Error(message.message));
    }
  });
  const onStopped = (error: Error) => {
    if (stopped !== undefined) return;
    stopped = error;
    failAll(error);
    if (!disposing) options.onCrash?.(error);
  };
  worker.on("error", (error) => onStopped(new Error(`the model's worker thread failed: ${error.message}`)));
  worker.on("exit", (code) => onStopped(new Error(`the model's worker thread ended (exit code ${code})`)));

  const settled = () =>
    new Promise<void>((resolve) => {
      if (pending.size === 0) return resolve();
      const check = () => {
        if (pending.size === 0 || stopped !== undefined) {
          worker.off("message", check);
          resolve();
        }
      };
      worker.on("message", check);
      worker.once("exit", check);
    });

  return {
    sizeBytes: options.sizeBytes,
    threads: options.worker.threads,
    slots: createSequencePool({ size: options.parallelRequests, maxQueue: options.maxQueue, modelId: options.modelId, create: () => 0 }),
    run(task) {
      if (stopped !== undefined) return Promise.reject(stopped);
      task.signal?.throwIfAborted();
      const id = nextId++;
      const { signal, onText, ...rest } = task;
      // A view into a larger buffer (a multipart body) would be copied whole: send only the image.
      const data = rest.image.data.byteLength === rest.image.data.buffer.byteLength ? rest.image.data : rest.image.data.slice();
      return new Promise<Florence2Answer>((resolve, reject) => {
        const abort = () => send({ type: "abort", id });
        signal?.addEventListener("abort", abort, { once: true });
        const cleanUp = () => signal?.removeEventListener("abort", abort);
        pending.set(id, {
          resolve: (answer) => {
            cleanUp();
            if (signal?.aborted) reject(signal.reason);
            else resolve(answer);
          },
          reject: (error) => {
            cleanUp();
            reject(signal?.aborted ? signal.reason : error);
          },
          onText,
        });
        updateRef();
        send({
          type: "run",
          id,
          task: { ...rest, image: { type: "image", mediaType: rest.image.mediaType, data }, stream: onText !== undefined },
        });
      });
    },
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
