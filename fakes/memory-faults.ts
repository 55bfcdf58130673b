// Scripted failures for in-memory ports: "the next 2 calls of gitlab.ensureDeployment throw a 503".
export type FaultFactory = () => Error;

export class FaultScript {
  private readonly planned = new Map<string, FaultFactory[]>();
  private readonly latency = new Map<string, number>();
  readonly calls = new Map<string, number>();

  /** The next `times` calls of `operation` throw what `make` returns. */
  fail(operation: string, make: FaultFactory, times = 1): this {
    const list = this.planned.get(operation) ?? [];
    for (let i = 0; i < times; i++) list.push(make);
    this.planned.set(operation, list);
    return this;
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
