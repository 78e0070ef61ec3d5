import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { transformFileSync } from '@swc/core';
import { FATAL_EXIT_CODE } from '../../platform/fatalErrors';

/**
 * The process-level policy, exercised in real child processes: an error that escapes every handler
 * ends the process with a non-zero code after a bounded shutdown attempt, and the log names the
 * error without its message (which may quote personal data).
 */
let dir: string;
let policyModule: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fatal-'));
  policyModule = join(dir, 'fatalErrors.js');
  const { code } = transformFileSync(resolve(__dirname, '../../platform/fatalErrors.ts'), {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  writeFileSync(policyModule, code);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runChild(body: string, limitMs = 10_000): Promise<Outcome> {
  const script = join(dir, `child-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(
    script,
    `const { installFatalErrorPolicy } = require(${JSON.stringify(policyModule)});
     const policy = installFatalErrorPolicy({ name: 'child', shutdownTimeoutMs: 500,
       logger: { fatal: (obj, msg) => process.stdout.write(JSON.stringify({ ...obj, msg }) + '\\n') } });
     // Something that would keep a half-dead process alive forever, like an open listener.
     setInterval(() => undefined, 1000);
     ${body}`,
  );
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`child still alive after ${limitMs} ms: ${stdout}${stderr}`));
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('fatal error policy', () => {
  it('an unhandled rejection runs the shutdown and exits non-zero; the log has no message text', async () => {
    const out = await runChild(`
      policy.setShutdown(async () => { process.stdout.write('shutdown ran\\n'); });
      Promise.reject(new TypeError('patient 110101199003077777 broke it'));`);
    expect(out.code).toBe(FATAL_EXIT_CODE);
    expect(out.stdout).toContain('shutdown ran');
    expect(out.stdout).toContain('"kind":"unhandledRejection"');
    expect(out.stdout).toContain('"errorName":"TypeError"');
    expect(out.stdout).not.toContain('110101199003077777');
  });

  it('an uncaught exception with a shutdown that never finishes still exits non-zero within the bound', async () => {
    const out = await runChild(`
      policy.setShutdown(() => new Promise(() => undefined));
      setTimeout(() => { throw new RangeError('boom'); }, 10);`);
    expect(out.code).toBe(FATAL_EXIT_CODE);
    expect(out.stdout).toContain('"kind":"uncaughtException"');
  });

  it('a shutdown that itself throws ends the process at once, non-zero', async () => {
    const out = await runChild(`
      policy.setShutdown(async () => { setTimeout(() => { throw new Error('in shutdown'); }, 1); await new Promise(() => undefined); });
      Promise.reject(new Error('first'));`);
    expect(out.code).toBe(FATAL_EXIT_CODE);
  });
});
