import type { Registry } from "prom-client";

interface Series {
  labels: Record<string, string>;
  /** Cumulative counts are computed at export; these are per-bucket counts, +Inf last. */
  counts: number[];
  sum: number;
  count: number;
}

/** One label set's handle: `observe` is a bucket search and three additions. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * A Prometheus histogram whose observations cost no hashing or label validation: series are
 * looked up once by the caller and kept, and the text format is produced only when /metrics is
 * scraped. prom-client's Histogram.observe measured several µs per call on the gateway's hot path.
 * Registered in a prom-client Registry as a custom metric, so it exports with everything else.
 */
export class PlainHistogram {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric({
      name,
      get: async () => this.export(),
    } as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  /** The series for one label set (created on first use). */
  seriesFor(labels: Record<string, string>): HistogramSeries {
    const key = JSON.stringify(labels);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const { buckets } = this;
    const target = series;
    return {
      observe(value: number): void {
        let index = 0;
        while (index < buckets.length && value > (buckets[index] as number)) index++;
        (target.counts[index] as number)++;
        target.sum += value;
        target.count++;
      },
    };
  }

  private export() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let index = 0; index <= this.buckets.length; index++) {
        cumulative += series.counts[index] as number;
        const le = index < this.buckets.length ? (this.buckets[index] as number) : "+Inf";
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}
