/** Responses of one route, counted per status class (index 1 = 1xx … 5 = 5xx). */
export interface RouteRequestCount {
  readonly method: string;
  readonly route: string;
  readonly byStatusClass: number[];
}

export interface RouteRequestRate {
  method: string;
  route: string;
  /** Since start. */
  total: number;
  /** Within the report's window. */
  lastMinute: number;
  perSecond: number;
  /** Since start, by status class ("2xx", "4xx", ...); classes never seen are absent. */
  statuses: Record<string, number>;
}

export interface RequestRateReport {
  /** Seconds the `lastMinute` figures cover: 55–60 once Station has run a minute, less before. */
  windowSeconds: number;
  total: number;
  lastMinute: number;
  perSecond: number;
  routes: RouteRequestRate[];
}

export interface RequestCounter {
  /** Hot path: two lookups in maps keyed by strings whose hashes V8 has cached, and an increment. */
  record(method: string, route: string, status: number): void;
  /** Remembers the current totals; called every `slotMs` by the owner's timer. */
  tick(now?: number): void;
  report(now?: number): RequestRateReport;
  entries(): RouteRequestCount[];
}

export interface RequestCounterOptions {
  windowMs?: number;
  now?: () => number;
}

interface Snapshot {
  at: number;
  totals: Map<RouteRequestCount, number>;
}

/**
 * Request counts per route with a rolling one-minute window that costs the request path
 * nothing: the window is the difference between today's totals and a snapshot of the totals
 * taken about a minute ago (snapshots are taken by a timer, not by requests).
 */
export function createRequestCounter(options: RequestCounterOptions = {}): RequestCounter {
  const windowMs = options.windowMs ?? 60_000;
  const clock = options.now ?? Date.now;
  // Route first, then method: both are strings Fastify and Node reuse, so their hashes are cached.
  const byRoute = new Map<string, Map<string, RouteRequestCount>>();
  const all: RouteRequestCount[] = [];
  let snapshots: Snapshot[] = [{ at: clock(), totals: new Map() }];

  const totalOf = (entry: RouteRequestCount): number => entry.byStatusClass.reduce((sum, count) => sum + count, 0);

  const baseline = (now: number): Snapshot => {
    const inWindow = snapshots.find((snapshot) => snapshot.at >= now - windowMs);
    return inWindow ?? (snapshots[snapshots.length - 1] as Snapshot);
  };

  return {
    record(method, route, status) {
      let methods = byRoute.get(route);
      if (methods === undefined) {
        methods = new Map();
        byRoute.set(route, methods);
      }
      let entry = methods.get(method);
      if (entry === undefined) {
        entry = { method, route, byStatusClass: [0, 0, 0, 0, 0, 0] };
        methods.set(method, entry);
        all.push(entry);
      }
      const statusClass = Math.min(5, Math.max(1, (status / 100) | 0));
      entry.byStatusClass[statusClass] = (entry.byStatusClass[statusClass] ?? 0) + 1;
    },
    tick(now = clock()) {
      // A snapshot older than the window can never be a baseline again.
      snapshots = snapshots.filter((snapshot) => snapshot.at >= now - windowMs);
      snapshots.push({ at: now, totals: new Map(all.map((entry) => [entry, totalOf(entry)])) });
    },
    report(now = clock()) {
      const since = baseline(now);
      const windowSeconds = Math.max(0, (now - since.at) / 1000);
      const rate = (count: number) => count / Math.max(windowSeconds, 1);
      const routes = all.map((entry): RouteRequestRate => {
        const total = totalOf(entry);
        const lastMinute = total - (since.totals.get(entry) ?? 0);
        const statuses: Record<string, number> = {};
        entry.byStatusClass.forEach((count, index) => {
          if (count > 0) statuses[`${index}xx`] = count;
        });
        return { method: entry.method, route: entry.route, total, lastMinute, perSecond: round(rate(lastMinute)), statuses };
      });
      routes.sort((a, b) => b.lastMinute - a.lastMinute || b.total - a.total || a.route.localeCompare(b.route));
      const total = routes.reduce((sum, route) => sum + route.total, 0);
      const lastMinute = routes.reduce((sum, route) => sum + route.lastMinute, 0);
      return { windowSeconds: round(windowSeconds), total, lastMinute, perSecond: round(rate(lastMinute)), routes };
    },
    entries: () => all,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
