import { readdirSync, readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';

/**
 * What each process of the stack used during a window (one scenario phase): peak resident memory,
 * sampled every 100 ms, and CPU seconds (user + system). Processes are read from /proc (Linux);
 * the bench process from process.memoryUsage()/cpuUsage(). PostgreSQL is the sum of the backends
 * serving the bench database, found through pg_stat_activity. On a shared machine the CPU split says
 * where a phase's time went even when other people's tests slow everything down.
 */
export type RssPeaks = Record<string, number | null>;
export type CpuSeconds = Record<string, number | null>;

export interface Usage {
  rss: RssPeaks;
  cpu: CpuSeconds;
}

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux this runs on. */
const CLK_TCK = 100;

function rssMb(pid: number): number | null {
  if (pid === process.pid) return process.memoryUsage().rss / 1_048_576;
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null; // exited, or not Linux
  }
}

/** [comm, ppid, cpu seconds] from /proc/<pid>/stat. */
function stat(pid: number): { comm: string; ppid: number; cpu: number } | null {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return { comm: 'node', ppid: process.ppid, cpu: (u.user + u.system) / 1e6 };
  }
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = raw.lastIndexOf(')');
    const fields = raw.slice(close + 2).split(' ');
    // After "(comm)": state ppid … utime (14th field overall) stime (15th).
    return {
      comm: raw.slice(raw.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      cpu: (Number(fields[11]) + Number(fields[12])) / CLK_TCK,
    };
  } catch {
    return null;
  }
}

/** The Temporal dev server the SDK started for us: our child process named `temporal`. */
export function findTemporalServerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const s = stat(Number(entry));
      if (s?.ppid === process.pid && s.comm === 'temporal') return Number(entry);
    }
  } catch {
    // not Linux
  }
  return undefined;
}

function pidList(pids: number | number[] | undefined): number[] {
  return pids === undefined ? [] : Array.isArray(pids) ? pids : [pids];
}

export class ProcessSampler {
  private readonly windows = new Set<Map<string, number | null>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** Processes by role; a role with several processes (replicas) counts their sum. */
    private readonly processes: () => Record<string, number | number[] | undefined>,
    private readonly db: DataSource,
    private readonly databaseName: string,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Starts a window; the returned function ends it. */
  async window(): Promise<() => Promise<Usage>> {
    const peaks = new Map<string, number | null>();
    this.windows.add(peaks);
    this.sample();
    const cpu0 = await this.cpu();
    return async () => {
      this.sample();
      this.windows.delete(peaks);
      const cpu1 = await this.cpu();
      const cpu: CpuSeconds = {};
      for (const [name, after] of Object.entries(cpu1.processes)) {
        const before = cpu0.processes[name];
        cpu[name] = after === null || before === null || before === undefined ? null : Math.round((after - before) * 100) / 100;
      }
      // Backends born during the window count from zero; one that ended during it is lost (pools here are long-lived).
      let pg = 0;
      for (const [pid, after] of cpu1.postgres) pg += after - (cpu0.postgres.get(pid) ?? 0);
      cpu.postgres = Math.round(pg * 100) / 100;
      return { rss: Object.fromEntries([...peaks].map(([k, v]) => [k, v === null ? null : Math.round(v)])), cpu };
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async cpu(): Promise<{ processes: Record<string, number | null>; postgres: Map<number, number> }> {
    const processes: Record<string, number | null> = {};
    for (const [name, pids] of Object.entries(this.processes())) {
      const each = pidList(pids).map((pid) => stat(pid)?.cpu ?? null);
      processes[name] = each.length === 0 || each.includes(null) ? null : each.reduce<number>((a, b) => a + (b ?? 0), 0);
    }
    const rows: Array<{ pid: number }> = await this.db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.databaseName]);
    const postgres = new Map<number, number>();
    for (const r of rows) {
      const s = stat(r.pid);
      if (s) postgres.set(r.pid, s.cpu);
    }
    return { processes, postgres };
  }

  private sample(): void {
    if (this.windows.size === 0) return;
    for (const [name, pids] of Object.entries(this.processes())) {
      // Several processes of a role: the peak of their sum (what the role holds at once).
      const each = pidList(pids).map(rssMb);
      const mb = each.length === 0 || each.includes(null) ? null : each.reduce<number>((a, b) => a + (b ?? 0), 0);
      for (const w of this.windows) {
        const prev = w.get(name);
        w.set(name, mb === null ? (prev ?? null) : Math.max(prev ?? 0, mb));
      }
    }
  }
}
