import type { DataSource } from 'typeorm';

/**
 * What PostgreSQL wrote for the bench database over a window, from pg_stat_database: rows inserted,
 * updated and deleted, and committed transactions (read-only ones included: the API's reads and the
 * bench's own watcher count there too). Temporal's dev server keeps its state in memory, so every
 * row counted is Causeway's.
 */
export interface PgWrites {
  commits: number;
  inserted: number;
  updated: number;
  deleted: number;
}

async function snapshot(db: DataSource, databaseName: string): Promise<PgWrites> {
  const rows: Array<{ c: string; i: string; u: string; d: string }> = await db.query(
    `SELECT xact_commit AS c, tup_inserted AS i, tup_updated AS u, tup_deleted AS d FROM pg_stat_database WHERE datname = $1`,
    [databaseName],
  );
  const r = rows[0];
  return { commits: Number(r?.c ?? 0), inserted: Number(r?.i ?? 0), updated: Number(r?.u ?? 0), deleted: Number(r?.d ?? 0) };
}

/** Backends report their counters about once a second when idle: wait that out at both ends of a window. */
const FLUSH_MS = 1_500;

/** Starts a window; the returned function ends it with the deltas. */
export async function pgWritesWindow(db: DataSource, databaseName: string): Promise<() => Promise<PgWrites>> {
  await new Promise((r) => setTimeout(r, FLUSH_MS));
  const before = await snapshot(db, databaseName);
  return async () => {
    await new Promise((r) => setTimeout(r, FLUSH_MS));
    const after = await snapshot(db, databaseName);
    return {
      commits: after.commits - before.commits,
      inserted: after.inserted - before.inserted,
      updated: after.updated - before.updated,
      deleted: after.deleted - before.deleted,
    };
  };
}
