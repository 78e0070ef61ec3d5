import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The bundle's folder stays free of client and boundary code: the project's lint config is checked
 * here by linting code as if it were in workflows/ (the queue's client helpers once lived there and
 * pulled zod and the client along). ESLint runs in a child process (its config is an ES module), with
 * the type-aware rules off: the import rules need no types, and a type-aware pass would take minutes.
 */
const root = path.join(__dirname, '..', '..');

const LINT = `
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
const untyped = { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked, languageOptions: { parserOptions: { projectService: false, project: null } } };
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [untyped] });
const out = [];
for (const code of JSON.parse(process.argv[1])) {
  const [r] = await eslint.lintText(code, { filePath: 'workflows/hospital/queue/workflow.ts' });
  out.push(r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
}
process.stdout.write(JSON.stringify(out));
`;

function importErrors(codes: string[]): string[][] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', LINT, JSON.stringify(codes)], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

describe('lint: what workflows/ may import', () => {
  it('refuses the Temporal client, zod and the client helpers in workflow code, and allows the workflow API and domain rules', () => {
    const [client, zod, helpers, allowed] = importErrors([
      `import { Client } from '@temporalio/client';\nexport const c = Client;\n`,
      `import { z } from 'zod';\nexport const s = z.string();\n`,
      `import { callNextPatient } from '../../../clients/hospital/doctorQueue';\nexport const f = callNextPatient;\n`,
      `import { sleep } from '@temporalio/workflow';\nimport { DoctorQueue } from '../../../domain/hospital/queue';\nexport const x = [sleep, DoctorQueue];\n`,
    ]);
    expect(client).toEqual([expect.stringContaining('put client helpers in clients/')]);
    expect(zod).toEqual([expect.stringContaining('zod stays at the boundaries')]);
    expect(helpers).toEqual([expect.stringContaining('I/O layers')]);
    expect(allowed).toEqual([]);
  }, 60_000);
});
