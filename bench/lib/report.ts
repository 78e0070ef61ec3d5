import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions } from './options';
import type { RssPeaks, Usage } from './usage';
import type { LatencySummary } from './stats';

/**
 * One row of the results: a figure of the real platform beside its floor, measured in the same run,
 * with the checks that make the figure trustworthy (nothing double-booked, every message stored…).
 */
export interface Figure {
  /** What was measured, in a few words. */
  what: string;
  /** Throughput in `unit`. */
  rate: number;
  unit: string;
  latency?: LatencySummary;
  details?: Record<string, unknown>;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Comparison {
  scenario: string;
  measured: Figure;
  floor: Figure;
  /** measured / floor, percent. */
  ratioPercent: number | null;
  goalPercent?: number;
  checks: Check[];
  /** Peak RSS (MB) and CPU seconds of each process during the measured phase and the floor phase. */
  usage: { measured: Usage; floor: Usage | null };
  /** The memory column of the table. */
  memory: string;
  notes: string[];
}

export interface BenchResults {
  startedAt: string;
  wallSeconds: number;
  options: Omit<BenchOptions, 'path' | 'adminUrl' | 'outDir'>;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
  comparisons: Comparison[];
  extra: Record<string, unknown>;
  failures: string[];
}

export function machineInfo(): Omit<BenchResults['machine'], 'loadAverageAfter'> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    loadAverageBefore: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const lat = (l: LatencySummary | undefined): string => (l && l.count > 0 ? `${fmt(l.p50Ms)} / ${fmt(l.p99Ms)}` : '—');

const CPU_COLUMNS: Array<[string, string]> = [
  ['api', 'API'],
  ['worker', 'worker'],
  ['bareWorker', 'bare worker'],
  ['temporal', 'Temporal'],
  ['postgres', 'PostgreSQL'],
  ['bench', 'bench (load + simulators)'],
];

/** Where each phase's CPU went, one row per distinct phase (a phase shared by two rows is shown once). */
function cpuTable(r: BenchResults): string[] {
  const seen = new Set<Usage>();
  const rows: string[] = [];
  const add = (label: string, u: Usage | null): void => {
    if (!u || seen.has(u)) return;
    seen.add(u);
    rows.push(
      `| ${label} | ${CPU_COLUMNS.map(([k]) => (u.cpu[k] === null || u.cpu[k] === undefined ? '—' : String(u.cpu[k]))).join(' | ')} |`,
    );
  };
  for (const c of r.comparisons) {
    add(c.scenario, c.usage.measured);
    add(`floor: ${c.floor.what}`, c.usage.floor);
  }
  return rows.length === 0
    ? []
    : [
        '',
        "CPU seconds per phase (other people's processes on the machine not included):",
        '',
        `| phase | ${CPU_COLUMNS.map(([, l]) => l).join(' | ')} |`,
        `| --- |${CPU_COLUMNS.map(() => ' --- |').join('')}`,
        ...rows,
      ];
}

/** The inputs of docs/capacity.md: what one journey and one read cost on this machine, per stack size. */
function costTable(r: BenchResults): string[] {
  const rows: string[] = [];
  for (const [key, value] of Object.entries(r.extra)) {
    if (!key.startsWith('journeyCost')) continue;
    const c = value as {
      workerCpuMs: number | null;
      apiCpuMs: number | null;
      postgresCpuMs: number | null;
      temporalActions: number;
      visitActions: number;
      queueActionsShare: number;
      pgRowsWritten: number;
      pg: { commits: number; inserted: number; updated: number; deleted: number };
    };
    const where = key.includes('@') ? ` (${key.split('@')[1] ?? '?'} API + workers)` : '';
    rows.push(
      `| journey${where}, per visit | ${c.workerCpuMs ?? '?'} | ${c.apiCpuMs ?? '?'} | ${c.postgresCpuMs ?? '?'} | ` +
        `${c.temporalActions} (${c.visitActions} + ${c.queueActionsShare} queue share) | ${c.pgRowsWritten} (${c.pg.inserted} ins, ${c.pg.updated} upd, ${c.pg.deleted} del) / ${c.pg.commits} commits |`,
    );
  }
  // Per request, per booking attempt, per inbound message: the phase's CPU over its count (a phase shared by two rows once).
  const seen = new Set<Usage>();
  for (const c of r.comparisons) {
    const d = c.measured.details ?? {};
    const [count, unit] =
      typeof d.apiCpuMsPerRequest === 'number'
        ? [c.measured.latency?.count ?? 0, 'request']
        : typeof d.attempts === 'number' && c.scenario.includes('HTTP')
          ? [d.attempts, 'booking attempt']
          : typeof d.messages === 'number'
            ? [d.messages, 'message']
            : [0, ''];
    if (count === 0 || seen.has(c.usage.measured)) continue;
    seen.add(c.usage.measured);
    const per = (cpu: number | null | undefined): string =>
      typeof cpu === 'number' ? String(Math.round(((cpu * 1000) / count) * 1000) / 1000) : '?';
    const u = c.usage.measured.cpu;
    rows.push(`| ${c.scenario}, per ${unit} | ${per(u.worker)} | ${per(u.api)} | ${per(u.postgres)} | — | — |`);
  }
  return rows.length === 0
    ? []
    : [
        '',
        'Cost per unit of work (inputs of docs/capacity.md; Temporal actions approximate Cloud billing, see bench/README.md):',
        '',
        '| unit | worker CPU-ms | API CPU-ms | PostgreSQL CPU-ms | Temporal actions | PostgreSQL rows written / commits |',
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
      ];
}

export function markdown(r: BenchResults): string {
  const lines = [
    `# Causeway bench — ${r.startedAt}`,
    '',
    `${r.options.scale === 'quick' ? '**Quick smoke run: sizes too small for comparisons.** ' : ''}` +
      `${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ${r.machine.node}, load average ${r.machine.loadAverageBefore.join(' ')} before, ` +
      `${r.machine.loadAverageAfter.join(' ')} after; wall time ${Math.round(r.wallSeconds)} s. API and worker log level \`${r.options.logLevel}\`. ` +
      'Every floor was measured in the same run, on the same machine, minutes apart.',
    '',
    '| scenario | measured | floor (same run) | ratio | p50 / p99 ms | floor p50 / p99 ms | peak RSS MB | checks |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of r.comparisons) {
    const goal =
      c.goalPercent === undefined || c.ratioPercent === null
        ? ''
        : ` (goal ≥${c.goalPercent}% ${c.ratioPercent >= c.goalPercent ? '✅' : '❌'})`;
    const ratio = c.ratioPercent === null ? '—' : `${c.ratioPercent}%${goal}`;
    const checks = c.checks.length === 0 ? '—' : c.checks.map((k) => `${k.ok ? '✅' : '❌'} ${k.name}`).join('<br>');
    lines.push(
      `| ${c.scenario} | ${fmt(c.measured.rate)} ${c.measured.unit} — ${c.measured.what} | ${fmt(c.floor.rate)} ${c.floor.unit} — ${c.floor.what} | ${ratio} | ` +
        `${lat(c.measured.latency)} | ${lat(c.floor.latency)} | ${c.memory} | ${checks} |`,
    );
  }
  const notes = r.comparisons.flatMap((c) => c.notes.map((n) => `- **${c.scenario}**: ${n}`));
  if (notes.length > 0) lines.push('', ...notes);
  lines.push(...cpuTable(r));
  lines.push(...costTable(r));
  // The first line only: a child's last output (in latest.json) would break the table's markdown.
  if (r.failures.length > 0) lines.push('', '## Failures', ...r.failures.map((f) => `- ${(f.split('\n')[0] ?? '').slice(0, 300)}`));
  lines.push('', 'Full figures (every percentile, counts, per-process memory and CPU): `bench/results/latest.json`.', '');
  return lines.join('\n');
}

export function writeResults(outDir: string, r: BenchResults): { json: string; md: string; text: string } {
  mkdirSync(outDir, { recursive: true });
  const json = path.join(outDir, 'latest.json');
  const md = path.join(outDir, 'latest.md');
  const text = markdown(r);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, text);
  return { json, md, text };
}

/** "API 130 · worker 210" from peaks, for the table. */
export function memoryLabel(peaks: RssPeaks, names: Array<[string, string]>): string {
  return names.map(([key, label]) => `${label} ${peaks[key] ?? '?'}`).join(' · ');
}
