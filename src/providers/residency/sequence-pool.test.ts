import { describe, expect, it } from "vitest";
import { createSequencePool } from "./sequence-pool.ts";

const pool = () => {
  let created = 0;
  return createSequencePool({ size: 2, maxQueue: 1, modelId: "local/x", create: () => ++created });
};

describe("sequence pool", () => {
  it("creates up to size sequences, queues one request, rejects the next with 503 busy", async () => {
    const sequences = pool();
    const first = await sequences.acquire();
    const second = await sequences.acquire();
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    const waiting = sequences.acquire();
    expect(sequences.waiting()).toBe(1);
    await expect(sequences.acquire()).rejects.toMatchObject({ code: "busy", status: 503, retryAfterSeconds: 1 });
    first.release();
    first.release(); // idempotent
    const third = await waiting;
    expect(third.sequence).toBe(1);
    expect(sequences.busy()).toBe(2);
    third.release();
    second.release();
    expect(sequences.busy()).toBe(0);
    expect((await sequences.acquire()).sequence).toBe(2); // reused, not created
  });

  it("drops a waiter whose signal aborts", async () => {
    const sequences = pool();
    const held = [await sequences.acquire(), await sequences.acquire()];
    const controller = new AbortController();
    const waiting = sequences.acquire(controller.signal);
    controller.abort(new Error("client gone"));
    await expect(waiting).rejects.toThrow("client gone");
    expect(sequences.waiting()).toBe(0);
    held[0]?.release();
    expect(sequences.busy()).toBe(1);
  });

  it("hands out the free sequence a request prefers (the worker holding its image), else any", async () => {
    const sequences = pool();
    const [first, second] = [await sequences.acquire(), await sequences.acquire()];
    first.release();
    second.release();
    expect((await sequences.acquire(undefined, (sequence) => sequence === 1)).sequence).toBe(1);
    expect((await sequences.acquire(undefined, (sequence) => sequence === 1)).sequence).toBe(2);
  });
});
