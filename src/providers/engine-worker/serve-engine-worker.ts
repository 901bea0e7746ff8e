import { parentPort } from "node:worker_threads";
import type { EngineCacheReport, FromEngineWorker, ToEngineWorker } from "./engine-worker-protocol.ts";

/** A model loaded inside a worker thread. */
export interface WorkerEngine<Task, Result> {
  perform(task: Task, signal: AbortSignal, onText: ((text: string) => void) | undefined): Promise<Result>;
  dispose(): Promise<void>;
}

/**
 * The worker side of a model's thread: loads the engine, answers run/abort/dispose messages, and
 * reports a failed load as a message (so the caller answers 422, never crashes). Never terminated
 * from outside (terminating a worker inside onnxruntime's session.run aborts the process): on
 * "dispose" it releases the engine and closes its port, and the thread ends by itself.
 */
export function serveEngineWorker<Task, Result>(load: () => Promise<WorkerEngine<Task, Result>>, report: () => EngineCacheReport): void {
  const port = parentPort;
  if (port === null) throw new Error("a model's worker module runs only as a worker thread");
  const send = (message: FromEngineWorker<Result>) => port.postMessage(message);
  const running = new Map<number, AbortController>();

  const serve = (engine: WorkerEngine<Task, Result>) => {
    const run = async (id: number, task: Task, stream: boolean) => {
      const controller = new AbortController();
      running.set(id, controller);
      try {
        const result = await engine.perform(task, controller.signal, stream ? (text) => send({ type: "text", id, text }) : undefined);
        send({ type: "done", id, result, cache: report() });
      } catch (error) {
        send({ type: "failed", id, message: (error as Error).message, cache: report() });
      } finally {
        running.delete(id);
      }
    };
    port.on("message", (message: ToEngineWorker<Task>) => {
      if (message.type === "run") void run(message.id, message.task, message.stream);
      else if (message.type === "abort") running.get(message.id)?.abort();
      else if (message.type === "dispose") {
        void engine
          .dispose()
          .catch(() => undefined)
          .then(() => port.close());
      }
    });
    send({ type: "ready" });
  };

  load().then(serve, (error: unknown) => {
    send({ type: "load-failed", message: (error as Error).message });
    port.close();
  });
}
