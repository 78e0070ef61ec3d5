import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { codecDataConverter } from '../../platform/codecDataConverter';
import { createPayloadCodec } from '../../platform/payloadCodec';
import { loadHistories } from '../helpers/histories';
import { TEST_KEYS } from '../helpers/platform';

/** Determinism guard: every recorded history must replay on the current workflow code. */
describe('workflow replay', () => {
  const histories = loadHistories();

  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(3);
  });

  it('replays every recorded history without non-determinism', async () => {
    const codec = createPayloadCodec({ keys: { tc1: TEST_KEYS.codec }, activeKeyId: 'tc1' });
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: process.env.CAUSEWAY_WORKFLOW_BUNDLE ?? '' }, dataConverter: codecDataConverter(codec) },
      histories,
    );
    const failures: string[] = [];
    let count = 0;
    for await (const r of results) {
      count++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(count).toBe(histories.length);
  });

  it('bundles no zod: every workflow run evaluates its bundle modules again, so it stays small', () => {
    const code = readFileSync(process.env.CAUSEWAY_WORKFLOW_BUNDLE ?? '', 'utf8');
    expect(code).toContain('hospitalVisit');
    expect(code.match(/node_modules\/zod\//g) ?? []).toEqual([]);
  });
});
