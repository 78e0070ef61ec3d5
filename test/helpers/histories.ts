import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Recorded workflow histories, the replay test's input. Layout:
 *
 *   test/histories/<workflowType>/<scenario>.v<N>.history.pb   (protobuf binary, the server's own format)
 *
 * Versions are kept: recording never overwrites. A scenario whose history has the same shape (the same
 * sequence of event types) as its latest version is not written again; a changed shape becomes v<N+1>,
 * and the old versions stay, since the running workflows they stand for still have to replay.
 *
 * Recording is off unless CAUSEWAY_RECORD_HISTORIES=1: then the tests that call `recordHistory` save
 * the histories of the workflows they ran (see `npm run histories:record`).
 */
export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
const History = temporal.api.history.v1.History;
type IHistory = temporal.api.history.v1.IHistory;

const SCENARIO = /^[a-z0-9][a-z0-9-]{0,79}$/;
const FILE = /^([a-z0-9][a-z0-9-]{0,79})\.v([1-9]\d*)\.history\.pb$/;

export interface StoredHistory {
  workflowType: string;
  scenario: string;
  version: number;
  /** `<workflowType>/<scenario>.v<N>`: the name the replay reports failures under. */
  workflowId: string;
  history: IHistory;
}

export function workflowTypeOf(history: IHistory): string {
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!type) throw new Error('history does not start with WorkflowExecutionStarted');
  return type;
}

/** Every stored history, oldest version first. A misnamed file fails loudly rather than being skipped. */
export function loadHistories(dir = HISTORIES_DIR): StoredHistory[] {
  const out: StoredHistory[] = [];
  for (const workflowType of readdirSync(dir).sort()) {
    if (workflowType === 'README.md') continue;
    const typeDir = path.join(dir, workflowType);
    if (!statSync(typeDir).isDirectory()) throw new Error(`${workflowType}: histories live in test/histories/<workflowType>/`);
    for (const file of readdirSync(typeDir).sort()) {
      const m = FILE.exec(file);
      if (!m) throw new Error(`${workflowType}/${file}: expected <scenario>.v<N>.history.pb`);
      const [, scenario = '', version = ''] = m;
      const history = History.decode(readFileSync(path.join(typeDir, file)));
      if (workflowTypeOf(history) !== workflowType) throw new Error(`${workflowType}/${file} holds a ${workflowTypeOf(history)} history`);
      out.push({ workflowType, scenario, version: Number(version), workflowId: `${workflowType}/${scenario}.v${version}`, history });
    }
  }
  return out.sort((a, b) => a.workflowId.localeCompare(b.workflowId) || a.version - b.version);
}

const shapeOf = (h: IHistory): string => (h.events ?? []).map((e) => String(e.eventType)).join(',');

/**
 * Saves `history` as the next version of its scenario, unless the latest version has the same shape.
 * Never overwrites (the file is created exclusively).
 */
export function saveHistoryVersion(history: IHistory, scenario: string, dir = HISTORIES_DIR): { file: string; written: boolean } {
  if (!SCENARIO.test(scenario)) throw new Error(`scenario ${JSON.stringify(scenario)}: lower-case words joined by '-'`);
  const workflowType = workflowTypeOf(history);
  const typeDir = path.join(dir, workflowType);
  mkdirSync(typeDir, { recursive: true });
  const versions = readdirSync(typeDir)
    .flatMap((f) => {
      const m = FILE.exec(f);
      return m && m[1] === scenario ? [Number(m[2])] : [];
    })
    .sort((a, b) => a - b);
  const latest = versions.at(-1);
  const fileOf = (v: number): string => path.join(typeDir, `${scenario}.v${v}.history.pb`);
  if (latest !== undefined && shapeOf(History.decode(readFileSync(fileOf(latest)))) === shapeOf(history)) {
    return { file: fileOf(latest), written: false };
  }
  const file = fileOf((latest ?? 0) + 1);
  if (existsSync(file)) throw new Error(`${file} exists`); // belt and braces: 'wx' below refuses it too
  writeFileSync(file, History.encode(History.fromObject(history)).finish(), { flag: 'wx' });
  return { file, written: true };
}

export function recordingHistories(): boolean {
  return process.env.CAUSEWAY_RECORD_HISTORIES === '1';
}

/**
 * With CAUSEWAY_RECORD_HISTORIES=1, waits for the workflow to end (a stage written to the database comes
 * before the workflow's last commands) and saves its history (see `saveHistoryVersion`); otherwise nothing.
 */
export async function recordHistory(handle: WorkflowHandle, scenario: string): Promise<void> {
  if (!recordingHistories()) return;
  await handle.result().catch(() => undefined); // a failed workflow's history is recorded too
  const { file, written } = saveHistoryVersion(await handle.fetchHistory(), scenario);
  process.stdout.write(`[histories] ${written ? 'recorded' : 'unchanged'} ${path.relative(HISTORIES_DIR, file)}\n`);
}
