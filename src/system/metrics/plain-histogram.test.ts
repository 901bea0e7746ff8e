import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { PlainHistogram } from "./plain-histogram.ts";

describe("PlainHistogram", () => {
  it("exports cumulative buckets, sum and count per label set in Prometheus text format", async () => {
    const registry = new Registry();
    const histogram = new PlainHistogram("test_duration_seconds", "Test durations", [0.1, 1], registry);
    const fast = histogram.seriesFor({ provider: "a", operation: "chat" });
    fast.observe(0.05);
    fast.observe(0.1);
    fast.observe(0.5);
    fast.observe(3);
    histogram.seriesFor({ provider: "b", operation: "chat" }).observe(0.2);
    // The same label set is the same series.
    histogram.seriesFor({ provider: "a", operation: "chat" }).observe(0.01);

    const text = await registry.metrics();
    expect(text).toContain("# HELP test_duration_seconds Test durations");
    expect(text).toContain("# TYPE test_duration_seconds histogram");
    expect(text).toContain('test_duration_seconds_bucket{le="0.1",provider="a",operation="chat"} 3');
    expect(text).toContain('test_duration_seconds_bucket{le="1",provider="a",operation="chat"} 4');
    expect(text).toContain('test_duration_seconds_bucket{le="+Inf",provider="a",operation="chat"} 5');
    expect(text).toMatch(/test_duration_seconds_sum\{provider="a",operation="chat"\} 3\.6(6|59999)/);
    expect(text).toContain('test_duration_seconds_count{provider="a",operation="chat"} 5');
    expect(text).toContain('test_duration_seconds_bucket{le="0.1",provider="b",operation="chat"} 0');
    expect(text).toContain('test_duration_seconds_count{provider="b",operation="chat"} 1');
  });
});
