/**
 * Smooth weighted round-robin (nginx's algorithm): over any window of sum(weights) picks,
 * each item is chosen exactly `weight` times, and picks of one item are spread out rather than
 * bunched together.
 */
export class WeightedRoundRobin {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly weights: readonly number[]) {
    this.current = weights.map(() => 0);
    this.total = weights.reduce((sum, weight) => sum + weight, 0);
  }

  /** Index of the next item. */
  next(): number {
    let best = 0;
    for (let index = 0; index < this.weights.length; index++) {
      this.current[index] = (this.current[index] ?? 0) + (this.weights[index] ?? 0);
      if ((this.current[index] ?? 0) > (this.current[best] ?? 0)) best = index;
    }
    this.current[best] = (this.current[best] ?? 0) - this.total;
    return best;
  }
}
