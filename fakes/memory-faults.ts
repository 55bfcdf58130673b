// Scripted failures for in-memory ports: "the next 2 calls of gitlab.ensureDeployment throw a 503".
export type FaultFactory = () => Error;

export class FaultScript {
  private readonly planned = new Map<string, FaultFactory[]>();
  private readonly latency = new Map<string, number>();
  private readonly rates: { prefix: string; rate: number; make: FaultFactory }[] = [];
  /** A fixed-seed generator, so a faulty run fails the same calls each time (mulberry32). */
  private seed = 0x5eed;
  readonly calls = new Map<string, number>();
  readonly injected = new Map<string, number>();

  /** The next `times` calls of `operation` throw what `make` returns. */
  fail(operation: string, make: FaultFactory, times = 1): this {
    const list = this.planned.get(operation) ?? [];
    for (let i = 0; i < times; i++) list.push(make);
    this.planned.set(operation, list);
    return this;
  }

  /** From now on, `rate` (0..1) of the calls of every operation starting with `prefix` throw what `make` returns. */
  failRate(prefix: string, rate: number, make: FaultFactory): this {
    this.rates.push({ prefix, rate, make });
    return this;
  }

  clearRates(): this {
    this.rates.length = 0;
    return this;
  }

  private random(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  delay(operation: string, ms: number): this {
    this.latency.set(operation, ms);
    return this;
  }

  count(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  async check(operation: string): Promise<void> {
    this.calls.set(operation, this.count(operation) + 1);
    const ms = this.latency.get(operation);
    if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
    const next = this.planned.get(operation)?.shift();
    if (next) throw next();
    const rated = this.rates.find((r) => operation.startsWith(r.prefix));
    if (rated && this.random() < rated.rate) {
      this.injected.set(operation, (this.injected.get(operation) ?? 0) + 1);
      throw rated.make();
    }
  }
}

/** An error a retry can fix (a 503, a reset). */
export function transientError(message = 'service unavailable (503)'): Error {
  return new Error(message);
}

/** An error no retry can fix; the name marks it non-retryable. */
export function permanentError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
