// A bounded "seen recently" set: remembers the newest `capacity` keys and forgets the oldest, so
// idempotency bookkeeping cannot grow without limit in a long-running process.
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
