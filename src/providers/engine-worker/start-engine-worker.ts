import { Worker } from "node:worker_threads";
import type { EngineCacheReport, FromEngineWorker, ToEngineWorker } from "./engine-worker-protocol.ts";
import { workerEntry } from "./worker-entry.ts";

export interface StartEngineWorkerOptions {
  /** `import.meta.url` of a module beside the worker module, and the worker module's name without extension. */
  from: string;
  module: string;
  workerData: unknown;
  /** Encoding-cache counters after every task (metrics). */
  onCacheReport(report: EngineCacheReport): void;
  /** The worker ended without being disposed: it answers no more. */
  onCrash?(error: Error): void;
}

/** The server side of a model's worker thread. */
export interface EngineWorker<Task, Result> {
  run(task: Task, signal: AbortSignal | undefined, onText?: (text: string) => void): Promise<Result>;
  /** Aborts running tasks, waits for them, then has the worker release the model and end. */
  dispose(): Promise<void>;
}

interface Pending<Result> {
  resolve(result: Result): void;
  reject(error: Error): void;
  onText: ((text: string) => void) | undefined;
}

/**
 * Starts a worker thread that loads a model (see serve-engine-worker.ts), resolving once it is
 * ready or rejecting with the loader's reason. onnxruntime-node's session.run computes on its
 * calling thread, so models run here to keep the server's event loop free. The worker is never
 * terminated: dispose aborts running tasks, waits for them, then asks the worker to end.
 */
export async function startEngineWorker<Task, Result>(options: StartEngineWorkerOptions): Promise<EngineWorker<Task, Result>> {
  const { entry, eval: isSource } = workerEntry(options.from, options.module);
  const worker = new Worker(entry, { eval: isSource, workerData: options.workerData });
  const pending = new Map<number, Pending<Result>>();
  let nextId = 0;
  let stopped: Error | undefined;
  let disposing = false;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const send = (message: ToEngineWorker<Task>) => worker.postMessage(message);
  // An idle worker must not keep the process alive; a running task must.
  const updateRef = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const loading = new Promise<void>((resolve, reject) => {
    const onMessage = (message: FromEngineWorker<Result>) => {
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

  worker.on("message", (message: FromEngineWorker<Result>) => {
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
    run(task, signal, onText) {
      if (stopped !== undefined) return Promise.reject(stopped);
      signal?.throwIfAborted();
      const id = nextId++;
      return new Promise<Result>((resolve, reject) => {
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
        send({ type: "run", id, task, stream: onText !== undefined });
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
