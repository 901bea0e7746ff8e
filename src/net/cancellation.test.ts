import { describe, expect, it } from "vitest";
import { Cancellation } from "./cancellation.ts";

describe("Cancellation", () => {
  it("calls every registered callback once with the reason, and no unregistered one", () => {
    const cancellation = new Cancellation();
    const seen: unknown[] = [];
    cancellation.onCancel((reason) => seen.push(["first", reason]));
    const unregister = cancellation.onCancel((reason) => seen.push(["removed", reason]));
    cancellation.onCancel((reason) => seen.push(["third", reason]));
    unregister();
    expect(cancellation.aborted).toBe(false);
    cancellation.cancel("gone");
    cancellation.cancel("again");
    expect(seen).toEqual([
      ["first", "gone"],
      ["third", "gone"],
    ]);
    expect(cancellation.aborted).toBe(true);
    expect(cancellation.reason).toBe("gone");
  });

  it("tells watching listeners once, none that stopped watching, and one that watches late at once", () => {
    const cancellation = new Cancellation();
    const seen: unknown[] = [];
    const listener = (name: string) => ({ cancelled: (reason: unknown) => seen.push([name, reason]) });
    const first = listener("first");
    const removed = listener("removed");
    const third = listener("third");
    cancellation.watch(first);
    cancellation.watch(removed);
    cancellation.watch(third);
    cancellation.unwatch(removed);
    cancellation.unwatch(removed);
    const unwatchedFirst = listener("unwatched first");
    cancellation.watch(unwatchedFirst);
    cancellation.unwatch(first);
    cancellation.watch(first);
    cancellation.cancel("gone");
    cancellation.cancel("again");
    expect(seen).toEqual([
      ["third", "gone"],
      ["unwatched first", "gone"],
      ["first", "gone"],
    ]);
    cancellation.watch(listener("late"));
    expect(seen.at(-1)).toEqual(["late", "gone"]);
  });

  it("calls a callback registered after the cancel at once", () => {
    const cancellation = new Cancellation();
    cancellation.cancel();
    let called = 0;
    cancellation.onCancel(() => called++);
    expect(called).toBe(1);
    expect((cancellation.reason as Error).name).toBe("AbortError");
  });

  it("makes a real AbortSignal on demand that follows the cancellation, before or after", () => {
    const early = new Cancellation();
    const signal = early.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(early.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    early.cancel("bye");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("bye");

    const late = new Cancellation();
    late.cancel("already");
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe("already");
  });
});
