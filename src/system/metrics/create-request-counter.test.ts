import { describe, expect, it } from "vitest";
import { createRequestCounter } from "./create-request-counter.ts";

describe("createRequestCounter", () => {
  it("counts per method and route pattern, by status class", () => {
    const counter = createRequestCounter({ now: () => 0 });
    counter.record("GET", "/health", 200);
    counter.record("GET", "/health", 200);
    counter.record("POST", "/caption/generate", 429);
    counter.record("POST", "/caption/generate", 202);
    counter.record("GET", "/caption/job/:job_id", 404);
    counter.record("DELETE", "/caption/job/:job_id", 500);
    const report = counter.report(1_000);
    expect(report.total).toBe(6);
    expect(report.routes.find((route) => route.route === "/health")).toMatchObject({ method: "GET", total: 2, statuses: { "2xx": 2 } });
    expect(report.routes.find((route) => route.route === "/caption/generate")?.statuses).toEqual({ "2xx": 1, "4xx": 1 });
    const job = report.routes.filter((route) => route.route === "/caption/job/:job_id").map((route) => [route.method, route.statuses]);
    expect(job).toEqual(
      expect.arrayContaining([
        ["GET", { "4xx": 1 }],
        ["DELETE", { "5xx": 1 }],
      ]),
    );
    expect(counter.entries()).toHaveLength(4);
  });

  it("reports the last minute as the difference from a snapshot taken about a minute earlier", () => {
    let now = 0;
    const counter = createRequestCounter({ now: () => now });
    for (let index = 0; index < 10; index++) counter.record("GET", "/v1/models", 200);
    // Before a minute has passed, the window starts at creation: everything is recent.
    expect(counter.report(30_000)).toMatchObject({ total: 10, lastMinute: 10, windowSeconds: 30 });
    for (now = 5_000; now <= 120_000; now += 5_000) {
      if (now === 70_000) for (let index = 0; index < 4; index++) counter.record("GET", "/v1/models", 200);
      counter.tick(now);
    }
    // At 120 s the oldest snapshot within the window is the one taken at 60 s: only the 4 later requests count.
    const report = counter.report(120_000);
    expect(report).toMatchObject({ total: 14, lastMinute: 4, windowSeconds: 60 });
    expect(report.perSecond).toBeCloseTo(4 / 60, 3);
    expect(report.routes[0]).toMatchObject({ route: "/v1/models", total: 14, lastMinute: 4 });
    // Two minutes on with no traffic, nothing is recent.
    now = 240_000;
    for (let tick = 125_000; tick <= 240_000; tick += 5_000) counter.tick(tick);
    expect(counter.report(240_000)).toMatchObject({ total: 14, lastMinute: 0, perSecond: 0 });
  });

  it("counts a route first seen after a snapshot against a baseline of zero", () => {
    const counter = createRequestCounter({ now: () => 0 });
    counter.tick(5_000);
    counter.record("POST", "/v1/generate", 200);
    expect(counter.report(6_000).routes[0]).toMatchObject({ route: "/v1/generate", total: 1, lastMinute: 1 });
  });
});
