import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { HISTORIES_DIR, loadHistories, saveHistoryVersion } from '../helpers/histories';

/** The recorder keeps every version: re-recording never throws away what the replay test protects. */
const History = temporal.api.history.v1.History;
const sample = History.decode(readFileSync(path.join(HISTORIES_DIR, 'verifyIdentity', 'verified.v1.history.pb')));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'histories-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('versioned histories', () => {
  it('writes v1, keeps it when the shape is unchanged, and adds v2 (never overwriting v1) when it changed', () => {
    expect(saveHistoryVersion(sample, 'verified', dir)).toEqual({
      file: path.join(dir, 'verifyIdentity', 'verified.v1.history.pb'),
      written: true,
    });
    const v1 = readFileSync(path.join(dir, 'verifyIdentity', 'verified.v1.history.pb'));
    expect(saveHistoryVersion(sample, 'verified', dir).written).toBe(false);

    const changed = History.create({ events: (sample.events ?? []).slice(0, -1) });
    expect(saveHistoryVersion(changed, 'verified', dir)).toEqual({
      file: path.join(dir, 'verifyIdentity', 'verified.v2.history.pb'),
      written: true,
    });
    expect(readFileSync(path.join(dir, 'verifyIdentity', 'verified.v1.history.pb'))).toEqual(v1);
    expect(readdirSync(path.join(dir, 'verifyIdentity')).sort()).toEqual(['verified.v1.history.pb', 'verified.v2.history.pb']);
    expect(loadHistories(dir).map((h) => h.workflowId)).toEqual(['verifyIdentity/verified.v1', 'verifyIdentity/verified.v2']);
  });

  it('refuses scenario names that would not load back, and loading refuses misplaced files', () => {
    expect(() => saveHistoryVersion(sample, 'Bad Name', dir)).toThrow(/scenario/);
    saveHistoryVersion(sample, 'verified', dir);
    const other = mkdtempSync(path.join(tmpdir(), 'histories-'));
    try {
      saveHistoryVersion(sample, 'verified', other);
      // A verifyIdentity history filed under another workflow type is an error, not a silent skip.
      renameSync(path.join(other, 'verifyIdentity'), path.join(dir, 'collectPayment'));
      expect(() => loadHistories(dir)).toThrow(/holds a verifyIdentity history/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('the stored histories all follow the layout', () => {
    const stored = loadHistories();
    expect(stored.length).toBeGreaterThanOrEqual(5);
    expect(stored.map((h) => h.workflowId)).toContain('hospitalVisit/closed-full-visit.v1');
  });
});
