import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { codecDataConverter } from '../../platform/codecDataConverter';
import { createPayloadCodec, isEncryptedPayload } from '../../platform/payloadCodec';
import { VisitStage } from '../../workflows/hospital/visit/types';
import { loadHistories, type StoredHistory } from '../helpers/histories';
import { TEST_KEYS } from '../helpers/platform';

/**
 * Determinism guard: every recorded history (every version, see test/helpers/histories.ts) must replay
 * on the current workflow code, and the recordings must cover every workflow type and every way a
 * visit can end. A change that breaks a history needs patched(); a new workflow type or terminal stage
 * needs a recording (`npm run histories:record`).
 */
const codec = createPayloadCodec({ keys: { tc1: TEST_KEYS.codec }, activeKeyId: 'tc1' });
const histories = loadHistories();

/** The workflow types the worker registers: the exports of the bundle's barrel. */
function registeredWorkflowTypes(): string[] {
  const barrel = readFileSync(path.join(__dirname, '..', '..', 'workflows', 'index.ts'), 'utf8');
  return [...barrel.matchAll(/export \{ (\w+) \} from/g)].map((m) => m[1] ?? '').sort();
}

const ACTIVE_STAGES: readonly string[] = ['holding', 'awaiting_payment', 'booked', 'queued', 'called'];

async function visitEndStage(h: StoredHistory): Promise<string | undefined> {
  const done = h.history.events?.at(-1)?.workflowExecutionCompletedEventAttributes;
  const payload = done?.result?.payloads?.[0];
  if (!payload) return undefined;
  const [plain] = await codec.decode([payload]);
  return defaultPayloadConverter.fromPayload<{ stage?: string }>(plain ?? payload).stage;
}

/** Whether the recording worker encrypted payloads: read from the workflow's start input. */
function recordedEncrypted(h: StoredHistory): boolean {
  const input = h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return input ? isEncryptedPayload(input) : true;
}

describe('workflow replay', () => {
  it('has a recorded history of every registered workflow type', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    expect(registeredWorkflowTypes().filter((t) => !recorded.has(t))).toEqual([]);
  });

  it('has a recorded hospital visit ending in every terminal stage', async () => {
    const ended = new Set(await Promise.all(histories.filter((h) => h.workflowType === 'hospitalVisit').map(visitEndStage)));
    const terminal = VisitStage.options.filter((s) => !ACTIVE_STAGES.includes(s));
    expect(terminal.filter((s) => !ended.has(s))).toEqual([]);
  });

  it('replays every recorded history, every version, without non-determinism', async () => {
    // Histories recorded by int tests whose worker ran without encryption hold plain payloads; the
    // strict codec (rightly) refuses those, so they replay without it, as they were recorded.
    // Determinism is what this guards; the codec's strictness has its own tests (codecTrust).
    const plainCodec: PayloadCodec = { encode: async (p) => p, decode: async (p) => p };
    const failures: string[] = [];
    const replayed: string[] = [];
    for (const encrypted of [true, false]) {
      const batch = histories.filter((h) => recordedEncrypted(h) === encrypted);
      const results = Worker.runReplayHistories(
        {
          workflowBundle: { codePath: process.env.CAUSEWAY_WORKFLOW_BUNDLE ?? '' },
          dataConverter: codecDataConverter(encrypted ? codec : plainCodec),
        },
        batch.map((h) => ({ workflowId: h.workflowId, history: h.history })),
      );
      for await (const r of results) {
        replayed.push(r.workflowId);
        if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(replayed.sort()).toEqual(histories.map((h) => h.workflowId).sort());
  });

  it('bundles no zod: every workflow run evaluates its bundle modules again, so it stays small', () => {
    const code = readFileSync(process.env.CAUSEWAY_WORKFLOW_BUNDLE ?? '', 'utf8');
    expect(code).toContain('hospitalVisit');
    expect(code.match(/node_modules\/zod\//g) ?? []).toEqual([]);
  });
});
