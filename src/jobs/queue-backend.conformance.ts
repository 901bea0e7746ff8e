import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobRecord, NewJob, QueueBackend } from "./queue-backend.ts";

export interface ConformanceSubject {
  backend: QueueBackend;
  close(): Promise<void>;
}

/**
 * The contract every QueueBackend must meet (SQLite today, Redis/BullMQ next). Call it from
 * the backend's own test file with a factory that gives a fresh, empty backend.
 */
export function describeQueueBackendConformance(name: string, open: () => Promise<ConformanceSubject>): void {
  describe(`QueueBackend conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let backend: QueueBackend;
    const job = (id: string, extra: Partial<NewJob> = {}): NewJob => ({ id, queue: "q", payload: { n: id }, maxAttempts: 3, ...extra });

    beforeEach(async () => {
      subject = await open();
      backend = subject.backend;
    });
    afterEach(async () => {
      await subject.close();
    });

    it("stores a job durably and treats a repeated id as the same job", async () => {
      const first = await backend.enqueue(job("a"), 1000);
      expect(first.accepted).toBe(true);
      const again = await backend.enqueue({ ...job("a"), payload: { n: "other" } }, 2000);
      expect(again).toMatchObject({ accepted: true, job: { id: "a", payload: { n: "a" }, createdAt: 1000 } });
      expect(await backend.get("a")).toMatchObject({ status: "queued", attempts: 0, maxAttempts: 3, runAt: 1000 });
      expect(await backend.get("missing")).toBeUndefined();
    });

    it("refuses past capacity, counting queued and running only", async () => {
      for (const id of ["a", "b"]) expect((await backend.enqueue(job(id), 1, { capacity: 2 })).accepted).toBe(true);
      expect(await backend.enqueue(job("c"), 1, { capacity: 2 })).toEqual({ accepted: false, reason: "full", unfinished: 2 });
      expect(await backend.get("c")).toBeUndefined();
      const claimed = await backend.claim("q", 2, 1000);
      await backend.complete(claimed!.id, claimed!.leaseToken, "done", 3);
      expect((await backend.enqueue(job("c"), 4, { capacity: 2 })).accepted).toBe(true);
      // other queues do not count
      expect((await backend.enqueue({ ...job("d"), queue: "other" }, 4, { capacity: 2 })).accepted).toBe(true);
    });

    it("claims oldest first, respects runAt and leaves other queues alone", async () => {
      await backend.enqueue(job("late", { runAt: 500 }), 10);
      await backend.enqueue(job("first"), 10);
      await backend.enqueue(job("second"), 20);
      await backend.enqueue({ ...job("elsewhere"), queue: "other" }, 5);
      expect(await backend.nextRunAt("q")).toBe(10);
      const a = await backend.claim("q", 100, 1000);
      const b = await backend.claim("q", 100, 1000);
      expect([a?.id, b?.id]).toEqual(["first", "second"]);
      expect(a).toMatchObject({ status: "running", attempts: 1, startedAt: 100, leaseExpiresAt: 1100 });
      expect(await backend.claim("q", 100, 1000)).toBeUndefined();
      expect((await backend.claim("q", 500, 1000))?.id).toBe("late");
    });

    it("never hands the same job to two concurrent claimers", async () => {
      for (let index = 0; index < 10; index++) await backend.enqueue(job(`j${index}`), index);
      const claims = await Promise.all(Array.from({ length: 25 }, () => backend.claim("q", 100, 1000)));
      const ids = claims.filter((claim) => claim !== undefined).map((claim) => claim.id);
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    });

    it("writes a result once, only for the current claim, with follow-ups in the same step", async () => {
      await backend.enqueue(job("a"), 1);
      const claimed = (await backend.claim("q", 2, 1000))!;
      expect(await backend.heartbeat("a", claimed.leaseToken, 500, 1000)).toBe(true);
      expect(await backend.heartbeat("a", "not-the-token", 500, 1000)).toBe(false);
      expect(await backend.complete("a", "not-the-token", { caption: "x" }, 3)).toBe(false);
      const followUp = { id: "a:webhook", queue: "hooks", payload: { about: "a" }, maxAttempts: 5, parentId: "a" };
      expect(await backend.complete("a", claimed.leaseToken, { caption: "cat" }, 4, [followUp])).toBe(true);
      expect(await backend.complete("a", claimed.leaseToken, { caption: "dog" }, 5, [followUp])).toBe(false);
      expect(await backend.get("a")).toMatchObject({ status: "completed", result: { caption: "cat" }, finishedAt: 4 });
      expect(await backend.get("a:webhook")).toMatchObject({ status: "queued", parentId: "a", payload: { about: "a" } });
      expect((await backend.counts("hooks")).queued).toBe(1);
    });

    it("hands out the next runnable job of the queue with a completion, never with a stale one", async () => {
      await backend.enqueue(job("a"), 1);
      await backend.enqueue(job("b"), 2);
      await backend.enqueue(job("late", { runAt: 1000 }), 3);
      await backend.enqueue({ ...job("elsewhere"), queue: "other" }, 4);
      const a = (await backend.claim("q", 10, 1000))!;
      const take = { queue: "q", leaseMs: 1000 };
      expect(await backend.completeAndClaimNext("a", "not-the-token", "x", 15, undefined, take)).toEqual({ stored: false });
      expect(await backend.get("b")).toMatchObject({ status: "queued", attempts: 0 });
      const followUp = { id: "a:webhook", queue: "hooks", payload: { about: "a" }, maxAttempts: 5, parentId: "a" };
      const first = await backend.completeAndClaimNext("a", a.leaseToken, { caption: "cat" }, 20, [followUp], take);
      expect(first).toMatchObject({
        stored: true,
        next: { id: "b", status: "running", attempts: 1, startedAt: 20, leaseExpiresAt: 1020, payload: { n: "b" } },
      });
      expect(await backend.get("a")).toMatchObject({ status: "completed", result: { caption: "cat" }, finishedAt: 20 });
      expect(await backend.get("a:webhook")).toMatchObject({ status: "queued", parentId: "a" });
      expect(await backend.get("b")).toMatchObject({ status: "running", attempts: 1 });
      const b = first.next!;
      expect(await backend.heartbeat("b", b.leaseToken, 25, 1000)).toBe(true);
      // "late" is not due and "elsewhere" is another queue's: nothing to hand out.
      expect(await backend.completeAndClaimNext("b", b.leaseToken, "ok", 30, undefined, take)).toEqual({ stored: true });
      expect(await backend.completeAndClaimNext("b", b.leaseToken, "again", 31, undefined, take)).toEqual({ stored: false });
      expect(await backend.get("b")).toMatchObject({ status: "completed", result: "ok" });
      expect(await backend.counts("q")).toMatchObject({ queued: 1, running: 0, completed: 2 });
      expect((await backend.claim("q", 1000, 1000))?.id).toBe("late");
    });

    it("retries with a later runAt, then fails for good with follow-ups when attempts run out", async () => {
      await backend.enqueue(job("a", { maxAttempts: 2 }), 1);
      const first = (await backend.claim("q", 2, 1000))!;
      expect(await backend.fail("a", first.leaseToken, { code: "upstream_error", message: "boom" }, 3, { retryAt: 100 })).toBe("retrying");
      expect(await backend.get("a")).toMatchObject({ status: "queued", runAt: 100, error: { code: "upstream_error" } });
      expect(await backend.claim("q", 50, 1000)).toBeUndefined();
      const second = (await backend.claim("q", 100, 1000))!;
      expect(second.attempts).toBe(2);
      const followUp = { id: "a:webhook", queue: "hooks", payload: {}, maxAttempts: 5 };
      expect(
        await backend.fail("a", second.leaseToken, { code: "upstream_error", message: "again" }, 101, {
          retryAt: 200,
          followUps: [followUp],
        }),
      ).toBe("failed");
      expect(await backend.get("a")).toMatchObject({ status: "failed", error: { message: "again" }, finishedAt: 101 });
      expect(await backend.get("a:webhook")).toBeDefined();
      expect(await backend.fail("a", second.leaseToken, { code: "x", message: "y" }, 102, {})).toBe("stale");
    });

    it("re-queues an expired lease; the old claim can no longer write; out of attempts it fails", async () => {
      await backend.enqueue(job("a", { maxAttempts: 2 }), 1);
      const first = (await backend.claim("q", 10, 100))!;
      expect(await backend.requeueExpired(50)).toBe(0);
      expect(await backend.requeueExpired(111)).toBe(1);
      expect(await backend.get("a")).toMatchObject({ status: "queued" });
      const second = (await backend.claim("q", 120, 100))!;
      expect(second.attempts).toBe(2);
      expect(await backend.complete("a", first.leaseToken, "stale", 130)).toBe(false);
      expect(await backend.heartbeat("a", first.leaseToken, 130, 100)).toBe(false);
      expect(await backend.requeueExpired(1000)).toBe(1);
      expect(await backend.get("a")).toMatchObject({ status: "failed", error: { code: "lease_expired" } });
    });

    it("enqueues a job's follow-ups when an expired lease fails it for good, once, with the failure", async () => {
      await backend.enqueue(job("a", { maxAttempts: 1 }), 1);
      await backend.enqueue(job("b", { maxAttempts: 2 }), 1);
      await backend.claim("q", 10, 100);
      await backend.claim("q", 10, 100);
      const seen: unknown[] = [];
      const followUpsFor = (failed: JobRecord): NewJob[] => {
        seen.push({ id: failed.id, status: failed.status, error: failed.error });
        return [{ id: `${failed.id}:webhook`, queue: "hooks", parentId: failed.id, payload: { about: failed.id }, maxAttempts: 5 }];
      };
      expect(await backend.requeueExpired(200, followUpsFor)).toBe(2);
      expect(seen).toEqual([{ id: "a", status: "failed", error: { code: "lease_expired", message: expect.any(String) } }]);
      expect(await backend.get("a:webhook")).toMatchObject({ status: "queued", queue: "hooks", payload: { about: "a" }, parentId: "a" });
      expect(await backend.get("b:webhook")).toBeUndefined();
      // A second sweep (another process's) finds nothing left to fail and adds nothing twice.
      expect(await backend.requeueExpired(300, followUpsFor)).toBe(0);
      expect(await backend.counts("hooks")).toMatchObject({ queued: 1 });
      expect((await backend.claim("hooks", 400, 100))?.id).toBe("a:webhook");
      expect(await backend.claim("hooks", 400, 100)).toBeUndefined();
    });

    it("enqueues the follow-ups of a job start-up recovery fails for good", async () => {
      await backend.enqueue(job("a", { maxAttempts: 1 }), 1);
      await backend.claim("q", 10, 1_000_000);
      const followUpsFor = (failed: JobRecord): NewJob[] => [{ id: `${failed.id}:webhook`, queue: "hooks", payload: {}, maxAttempts: 5 }];
      expect(await backend.recoverRunning(20, followUpsFor)).toBe(1);
      expect(await backend.get("a")).toMatchObject({ status: "failed", error: { code: "lease_expired" } });
      expect((await backend.claim("hooks", 30, 100))?.id).toBe("a:webhook");
    });

    it("recovers every running job, lease or not, runnable now; out of attempts it fails", async () => {
      await backend.enqueue(job("a", { maxAttempts: 2 }), 1);
      await backend.enqueue(job("b", { maxAttempts: 1 }), 1);
      await backend.enqueue(job("c"), 1);
      const orphan = (await backend.claim("q", 10, 1_000_000))!;
      await backend.claim("q", 10, 1_000_000);
      expect(await backend.recoverRunning(20)).toBe(2);
      expect(await backend.get("a")).toMatchObject({ status: "queued", runAt: 20 });
      expect(await backend.get("b")).toMatchObject({ status: "failed", error: { code: "lease_expired" }, finishedAt: 20 });
      expect(await backend.get("c")).toMatchObject({ status: "queued", attempts: 0 });
      expect(await backend.complete("a", orphan.leaseToken, "stale", 30)).toBe(false);
      expect(await backend.claim("q", 20, 100)).toMatchObject({ id: "c", attempts: 1 });
      expect(await backend.claim("q", 20, 100)).toMatchObject({ id: "a", attempts: 2 });
    });

    it("releases a running job on shutdown without spending an attempt", async () => {
      await backend.enqueue(job("a"), 1);
      const claimed = (await backend.claim("q", 2, 1000))!;
      expect(await backend.release("a", "not-the-token", 3)).toBe(false);
      expect(await backend.release("a", claimed.leaseToken, 3)).toBe(true);
      expect(await backend.get("a")).toMatchObject({ status: "queued", attempts: 0, runAt: 3 });
      expect(await backend.complete("a", claimed.leaseToken, "late", 4)).toBe(false);
      expect((await backend.claim("q", 5, 1000))?.attempts).toBe(1);
    });

    it("keeps the first start across a retry and a release", async () => {
      await backend.enqueue(job("a"), 1);
      const first = (await backend.claim("q", 2, 1000))!;
      expect(first.startedAt).toBe(2);
      expect(await backend.fail("a", first.leaseToken, { code: "upstream_error", message: "boom" }, 3, { retryAt: 4 })).toBe("retrying");
      const second = (await backend.claim("q", 5, 1000))!;
      expect(second).toMatchObject({ attempts: 2, startedAt: 2 });
      expect(await backend.release("a", second.leaseToken, 6)).toBe(true);
      expect(await backend.get("a")).toMatchObject({ status: "queued", attempts: 1, startedAt: 2, runAt: 6 });
      const third = (await backend.claim("q", 7, 1000))!;
      expect(third).toMatchObject({ attempts: 2, startedAt: 2 });
      await backend.complete("a", third.leaseToken, "ok", 8);
      expect(await backend.get("a")).toMatchObject({ status: "completed", attempts: 2, startedAt: 2, finishedAt: 8, result: "ok" });
    });

    it("cancels queued and running jobs, never finished ones", async () => {
      await backend.enqueue(job("queued"), 1);
      await backend.enqueue(job("running"), 2);
      await backend.enqueue(job("done"), 3);
      expect(await backend.cancel("queued", 4, [{ id: "queued:webhook", queue: "hooks", payload: {}, maxAttempts: 1 }])).toBe(true);
      expect(await backend.get("queued:webhook")).toBeDefined();
      const running = (await backend.claim("q", 5, 1000))!;
      expect(running.id).toBe("running");
      expect(await backend.cancel("running", 6)).toBe(true);
      expect(await backend.heartbeat("running", running.leaseToken, 7, 1000)).toBe(false);
      expect(await backend.complete("running", running.leaseToken, "late", 7)).toBe(false);
      expect(await backend.get("running")).toMatchObject({ status: "cancelled", finishedAt: 6 });
      const done = (await backend.claim("q", 8, 1000))!;
      await backend.complete(done.id, done.leaseToken, "ok", 9);
      expect(await backend.cancel("done", 10)).toBe(false);
      expect(await backend.cancel("missing", 10)).toBe(false);
      expect(await backend.counts("q")).toEqual({ queued: 0, running: 0, completed: 1, failed: 0, cancelled: 2 });
    });

    it("reports recent completions with latencies, newest first", async () => {
      await backend.enqueue(job("a"), 0);
      await backend.enqueue(job("b"), 10);
      const a = (await backend.claim("q", 20, 1000))!;
      await backend.complete(a.id, a.leaseToken, 1, 100);
      const b = (await backend.claim("q", 110, 1000))!;
      await backend.complete(b.id, b.leaseToken, 1, 310);
      expect(await backend.recentCompletions("q", 0, 10)).toEqual({ count: 2, latenciesMs: [300, 100] });
      expect(await backend.recentCompletions("q", 200, 10)).toEqual({ count: 1, latenciesMs: [300] });
    });

    it("deletes finished jobs past retention with their webhook attempts, keeping the rest", async () => {
      await backend.enqueue(job("old"), 0);
      await backend.enqueue(job("new"), 1);
      await backend.enqueue(job("waiting"), 2);
      const old = (await backend.claim("q", 3, 1000))!;
      await backend.complete(old.id, old.leaseToken, 1, 10);
      const fresh = (await backend.claim("q", 11, 1000))!;
      await backend.complete(fresh.id, fresh.leaseToken, 1, 500);
      const attempt = { deliveryId: "d", attempt: 1, url: "http://x", attemptedAt: 11, durationMs: 1, ok: true };
      await backend.recordWebhookAttempt({ ...attempt, jobId: "old" });
      await backend.recordWebhookAttempt({ ...attempt, jobId: "new", statusCode: 500, ok: false });
      await backend.recordWebhookAttempt({ ...attempt, jobId: "new", attempt: 2, statusCode: 200 });
      expect(await backend.deleteFinished(100)).toBe(1);
      expect(await backend.get("old")).toBeUndefined();
      expect(await backend.webhookAttempts("old")).toEqual([]);
      expect(await backend.get("waiting")).toMatchObject({ status: "queued" });
      expect(await backend.webhookAttempts("new")).toMatchObject([
        { attempt: 1, statusCode: 500, ok: false },
        { attempt: 2, statusCode: 200, ok: true },
      ]);
    });
  });
}
