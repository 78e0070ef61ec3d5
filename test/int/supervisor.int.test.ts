import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeExit, Supervisor } from '../../scripts/lib/supervisor';
import { until } from '../helpers/poll';

/**
 * `npm start`'s supervisor with dummy children (real processes): one dies, and every other one is
 * gone, with a line naming the dead one and how it died; the parent ending by signal, by exception or
 * by SIGKILL leaves no child behind either.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'causeway-supervisor-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A child that records its pid and then idles (or exits with `exitCode` once told to by a file). */
const DUMMY = `require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);`;

function dummy(name: string): { name: string; command: string; args: string[] } {
  return { name, command: process.execPath, args: ['-e', DUMMY, path.join(dir, `${name}.pid`)] };
}

async function pidOf(name: string): Promise<number> {
  return until(`${name} to start`, async () => {
    const file = path.join(dir, `${name}.pid`);
    return existsSync(file) && readFileSync(file, 'utf8') ? Number(readFileSync(file, 'utf8')) : undefined;
  });
}

/** Alive and not a zombie (a container's pid 1 may never reap). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pids: number[]): Promise<void> {
  await until(`pids ${pids.join(', ')} to be gone`, async () => pids.every((p) => !alive(p)), { timeoutMs: 15_000 });
}

describe('supervisor', () => {
  it('stops every other child when one is killed, and names the dead one and the signal', async () => {
    const lines: string[] = [];
    let fatal: { reason: string; code: number } | undefined;
    const sup = new Supervisor({ log: (m) => lines.push(m), graceMs: 3_000, onFatal: (reason, code) => (fatal = { reason, code }) });
    const guards = ['temporal', 'sim-a', 'sim-b'].map((n) => sup.start({ ...dummy(n), output: 'ignore' }).pid as number);
    const [temporal, simA, simB] = [await pidOf('temporal'), await pidOf('sim-a'), await pidOf('sim-b')];
    process.kill(simA, 'SIGKILL');
    const result = await until('the supervisor to stop everything', async () => fatal);
    expect(result.code).toBe(1);
    expect(lines[0]).toMatch(/^sim-a \(process group \d+\) died: killed by signal SIGKILL/);
    await gone([temporal, simB, ...guards]);
  });

  it('reports an exit code when a child exits on its own', async () => {
    const lines: string[] = [];
    let done = false;
    const sup = new Supervisor({ log: (m) => lines.push(m), onFatal: () => (done = true) });
    sup.start({ ...dummy('stays'), output: 'ignore' });
    // The quitter starts once the other child is up: quitting first, it would have the supervisor stop
    // `stays` before that wrote its pid, and the test would wait for a pid that never comes.
    const stays = await pidOf('stays');
    sup.start({ name: 'quitter', command: process.execPath, args: ['-e', 'process.exit(3)'], output: 'ignore' });
    await until('the supervisor to stop', async () => done);
    expect(lines[0]).toMatch(/^quitter \(process group \d+\) died: exit code 3;/);
    await gone([stays]);
  });

  it('describes exits by code, by signal and by a shell-reported signal', () => {
    expect(describeExit({ code: 1, signal: null })).toBe('exit code 1');
    expect(describeExit({ code: null, signal: 'SIGTERM' })).toBe('killed by signal SIGTERM');
    expect(describeExit({ code: 137, signal: null })).toBe('killed by signal SIGKILL (exit code 137)');
  });
});

describe('a parent using the supervisor (the compiled module, as npm start runs it)', () => {
  const compiled = path.join(__dirname, '..', '..', 'dist', 'scripts', 'lib', 'supervisor.js');

  /** A parent process that starts two dummy children, then ends the way `how` says. */
  async function parent(how: 'throw' | 'signal' | 'sigkill'): Promise<{ out: string; code: number | null; signal: string | null }> {
    if (!existsSync(compiled)) throw new Error(`${compiled} missing: run npm run build first`);
    const script = `
      const { Supervisor } = require(${JSON.stringify(compiled)});
      const sup = new Supervisor({ log: (m) => console.log(m), graceMs: 3000, onFatal: (_r, code) => process.exit(code) });
      sup.installProcessHandlers();
      for (const name of ['temporal', 'sim']) {
        sup.start({ name, command: process.execPath, args: ['-e', ${JSON.stringify(DUMMY)}, require('path').join(${JSON.stringify(dir)}, name + '.pid')], output: 'ignore' });
      }
      console.log('started');
      // Throws once both children are up (their pid files written), as start.ts might at any step.
      const up = () => ['temporal', 'sim'].every((n) => require('fs').existsSync(require('path').join(${JSON.stringify(dir)}, n + '.pid')));
      if (${JSON.stringify(how)} === 'throw') setInterval(() => { if (up()) throw new Error('boom in start.ts'); }, 50);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await pidOf('temporal');
    await pidOf('sim');
    if (how === 'signal') child.kill('SIGTERM');
    if (how === 'sigkill') child.kill('SIGKILL');
    const result = await exited;
    return { out, ...result };
  }

  it('stops its children on an exception in the parent', async () => {
    const r = await parent('throw');
    expect(r.out).toContain('uncaught exception: Error: boom in start.ts');
    expect(r.code).toBe(1);
    await gone([await pidOf('temporal'), await pidOf('sim')]);
  });

  it('stops its children on SIGTERM', async () => {
    const r = await parent('signal');
    expect(r.out).toContain('received SIGTERM; stopping');
    expect(r.code).toBe(143);
    await gone([await pidOf('temporal'), await pidOf('sim')]);
  });

  it('leaves no orphan even when the parent is killed with SIGKILL (the guard notices its pipe close)', async () => {
    const r = await parent('sigkill');
    expect(r.signal).toBe('SIGKILL');
    await gone([await pidOf('temporal'), await pidOf('sim')]);
  });
});
