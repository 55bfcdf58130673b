// Remembers recent answers by Idempotency-Key, so a redelivered hook gets the same answer at once.
// Bounded: the oldest keys are forgotten first (the workflow id still dedupes releases after that).
export class IdempotencyCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
