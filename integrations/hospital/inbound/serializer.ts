/**
 * One task at a time per key, in the order scheduled. Tasks here are "drain this booking's
 * waiting rows", which read the database when they start, so a request made while an earlier one
 * is still waiting to start adds nothing and is folded into it: the chain per key never grows
 * beyond one running and one waiting task, however fast a hospital sends.
 */
export class KeyedSerializer {
  private readonly entries = new Map<string, { tail: Promise<void>; waiting: boolean }>();

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  schedule(key: string, task: () => Promise<void>): Promise<void> {
    const current = this.entries.get(key);
    if (current?.waiting) return current.tail;
    const entry = { tail: Promise.resolve(), waiting: true };
    const previous = current?.tail ?? Promise.resolve();
    entry.tail = previous
      .then(async () => {
        entry.waiting = false;
        await task();
      })
      .catch((err: unknown) => this.onError(key, err))
      .finally(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    this.entries.set(key, entry);
    return entry.tail;
  }

  /** Resolves when no task is running or waiting, including tasks scheduled while waiting. */
  async idle(): Promise<void> {
    while (this.entries.size > 0) await Promise.all([...this.entries.values()].map((e) => e.tail));
  }
}
