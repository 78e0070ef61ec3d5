import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
const History = temporal.api.history.v1.History;

/**
 * With CAUSEWAY_RECORD_HISTORIES=1, tests save the histories of the workflows they ran (protobuf
 * binary, the server's own format); the replay test runs every saved history through the current
 * workflow code, so an incompatible change to a workflow fails CI unless guarded with patched().
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.CAUSEWAY_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.history.pb`), History.encode(History.fromObject(history)).finish());
}

export function loadHistories(): Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.history.pb'))
    .sort()
    .map((f) => ({ workflowId: f.replace(/\.history\.pb$/, ''), history: History.decode(readFileSync(path.join(HISTORIES_DIR, f))) }));
}
