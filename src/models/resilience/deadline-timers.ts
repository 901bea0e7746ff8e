/**
 * Every model call's deadline on one timer. Deadlines of one length expire in the order they were
 * armed, so each length keeps a linked list in that order: arming appends, disarming unlinks (both
 * O(1), no timer or closure per call), and one unref'd timer wakes for the earliest head. A call
 * that ends first costs an object and two pointer swaps; the timer wakes about once per deadline
 * length while calls keep coming, not once per call.
 */
export abstract class Deadline {
  /** When it expires, on the clock of the `DeadlineTimers` it was armed on. */
  at = 0;
  /** Set once `expire` has run. */
  expired = false;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  list: DeadlineList | undefined;

  /** Called once, when the deadline passes before `disarm`. */
  abstract expire(): void;
}

class DeadlineList {
  head: Deadline | undefined;
  tail: Deadline | undefined;
}

export class DeadlineTimers {
  private readonly lists = new Map<number, DeadlineList>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.expireDue();
  };

  constructor(private readonly now: () => number = Date.now) {}

  /** Arms `deadline` to expire `durationMs` from now. */
  arm(deadline: Deadline, durationMs: number): void {
    let list = this.lists.get(durationMs);
    if (list === undefined) {
      list = new DeadlineList();
      this.lists.set(durationMs, list);
    }
    deadline.at = this.now() + durationMs;
    deadline.list = list;
    deadline.previous = list.tail;
    deadline.next = undefined;
    if (list.tail === undefined) list.head = deadline;
    else list.tail.next = deadline;
    list.tail = deadline;
    if (deadline.at < this.timerAt) this.schedule(deadline.at);
  }

  /** Idempotent; a deadline that has expired is already disarmed. */
  disarm(deadline: Deadline): void {
    const list = deadline.list;
    if (list === undefined) return;
    if (deadline.previous === undefined) list.head = deadline.next;
    else deadline.previous.next = deadline.next;
    if (deadline.next === undefined) list.tail = deadline.previous;
    else deadline.next.previous = deadline.previous;
    deadline.list = undefined;
    deadline.previous = undefined;
    deadline.next = undefined;
  }

  /** Expires every deadline that has passed, then waits for the next one (the timer calls this; tests may). */
  expireDue(): void {
    const now = this.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const list of this.lists.values()) {
      let head = list.head;
      while (head !== undefined && head.at <= now) {
        this.disarm(head);
        head.expired = true;
        head.expire();
        head = list.head;
      }
      if (head !== undefined && head.at < earliest) earliest = head.at;
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.schedule(earliest);
  }

  private schedule(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    // Unref'd: a pending deadline never keeps the process alive on its own.
    this.timer = setTimeout(this.onTimer, Math.max(1, at - this.now()));
    this.timer.unref?.();
  }
}
