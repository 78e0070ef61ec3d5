import type { DataSource } from 'typeorm';
import { inboxKey, insertMessage, insertMessages, type InsertOutcome, type NewRow } from './store';

/**
 * Group commit of inbox inserts. Every stored message used to cost its own INSERT and its own commit
 * (a WAL flush) before its ACK could leave; messages arriving together (several connections, several
 * hospitals) now share one multi-row INSERT and one commit, and each caller still hears only about
 * its own row, once that row is committed.
 *
 * - A batch leaves on the next turn of the event loop, or at once when `maxBatch` rows wait; while
 *   `maxInFlight` batches are at the database, new rows gather for the next one.
 * - A key (institution, message id) is in one batch at a time: a second frame with the same key waits
 *   until the first one's batch is committed and then meets its row through ON CONFLICT, exactly as
 *   it would alone.
 * - A batch that fails is tried again row by row, so one row the database refuses does not take the
 *   others' answers with it; when the database itself is gone every row fails, and every caller
 *   answers without AA.
 */
export interface GroupCommitOptions {
  /** Most rows in one INSERT. Default 100. */
  maxBatch?: number;
  /** Most batches at the database at once (each holds a pooled connection). Default 2. */
  maxInFlight?: number;
}

interface Waiting {
  row: NewRow;
  key: string;
  resolve: (outcome: InsertOutcome) => void;
  reject: (err: unknown) => void;
}

export type InboxWriter = (row: NewRow) => Promise<InsertOutcome>;

export function createInboxWriter(db: DataSource, opts: GroupCommitOptions = {}): InboxWriter {
  const maxBatch = Math.max(1, opts.maxBatch ?? 100);
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  const waiting: Waiting[] = [];
  /** Keys of the rows in batches at the database. */
  const busyKeys = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  /** Takes the oldest rows whose keys are free, up to maxBatch; the rest keep their place. */
  const take = (): Waiting[] => {
    const batch: Waiting[] = [];
    for (let i = 0; i < waiting.length && batch.length < maxBatch;) {
      const w = waiting[i] as Waiting;
      if (busyKeys.has(w.key)) {
        i++;
        continue;
      }
      busyKeys.add(w.key);
      batch.push(w);
      waiting.splice(i, 1);
    }
    return batch;
  };

  const run = async (batch: Waiting[]): Promise<void> => {
    let outcomes: Array<InsertOutcome | undefined>;
    try {
      outcomes = await insertMessages(
        db,
        batch.map((w) => w.row),
      );
    } catch {
      // One refused row would fail them all: each is tried on its own, and answers for itself.
      await Promise.all(batch.map((w) => insertMessage(db, w.row).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome) w.resolve(outcome);
      else w.reject(new Error('inbox row neither inserted nor found'));
    });
  };

  const flush = (): void => {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = take();
      if (batch.length === 0) return; // every waiting key is in a batch at the database: its end flushes again
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        for (const w of batch) busyKeys.delete(w.key);
        flush();
      });
    }
  };

  return (row) =>
    new Promise<InsertOutcome>((resolve, reject) => {
      waiting.push({ row, key: inboxKey(row), resolve, reject });
      if (waiting.length >= maxBatch) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
