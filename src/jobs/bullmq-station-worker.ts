import { type Job, Worker } from "bullmq";

/**
 * BullMQ's Worker with its completion step open to Station's worker pool, which runs jobs itself
 * (the Worker is only ever asked for jobs, never given a processor). BullMQ's completing script
 * can hand out the next waiting job in the same round trip, locked with the same token; its
 * Worker then records what the reply says for its next wait (the `drained` flag and the time the
 * next delayed job is due), which only its own `handleCompleted` may do. Going through it keeps
 * that state right: after a completion that found nothing, the next `getNextJob` blocks on
 * BullMQ's marker instead of asking once more for nothing.
 */
export class BullmqStationWorker extends Worker {
  /**
   * Completes `job` (held under `token`) and returns the next job, locked with `token`, or
   * undefined when none waits. Throws when the lock is not `token`'s: nothing was written.
   */
  async completeAndFetchNext(job: Job, result: unknown, token: string): Promise<Job | undefined> {
    // handleCompleted completes nothing on a closing connection, and says so by returning nothing.
    if (this.closing !== undefined || this.backend.closing !== undefined) throw new Error("the worker is closing");
    return (await this.handleCompleted(result, job, token)) ?? undefined;
  }
}
