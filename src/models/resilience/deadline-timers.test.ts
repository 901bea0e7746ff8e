import { describe, expect, it } from "vitest";
import { Deadline, DeadlineTimers } from "./deadline-timers.ts";

class Recorded extends Deadline {
  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {
    super();
  }

  expire(): void {
    this.log.push(this.name);
  }
}

describe("DeadlineTimers", () => {
  it("expires what has passed in order, across lengths, and never what was disarmed", () => {
    let clock = 0;
    const timers = new DeadlineTimers(() => clock);
    const log: string[] = [];
    const make = (name: string) => new Recorded(name, log);
    const [a, b, c, short] = [make("a"), make("b"), make("c"), make("short")];
    timers.arm(a, 100);
    clock = 10;
    timers.arm(b, 100);
    timers.arm(c, 100);
    timers.arm(short, 20);
    timers.disarm(b);
    timers.disarm(b);
    clock = 30;
    timers.expireDue();
    expect(log).toEqual(["short"]);
    clock = 110;
    timers.expireDue();
    expect(log).toEqual(["short", "a", "c"]);
    expect([a.expired, b.expired, c.expired]).toEqual([true, false, true]);
    // An expired deadline is disarmed already.
    timers.disarm(a);
    timers.expireDue();
    expect(log).toHaveLength(3);
  });

  it("fires on its own timer, which keeps no process alive", async () => {
    const timers = new DeadlineTimers();
    const log: string[] = [];
    const deadline = new Recorded("soon", log);
    timers.arm(deadline, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual(["soon"]);
  });
});
