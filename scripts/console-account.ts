import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDataSource } from '../db/dataSource';
import { ConsoleRole, saveConsoleAccount } from '../db/repositories/consoleAccounts';
import { passwordProblem } from '../platform/passwords';

/**
 * Creates a console account, or resets its password, role and institution (which signs it out):
 *
 *   CONSOLE_PASSWORD=… node dist/scripts/console-account.js --login ops.lee --role operator
 *   node dist/scripts/console-account.js --login clinic.admin --role institution_staff --institution demo-hospital < password.txt
 *
 * The password comes from CONSOLE_PASSWORD or, when that is unset, the first line of standard input;
 * never from the command line, where other users and the shell history would see it. Needs only DATABASE_URL.
 */
const Env = z.object({
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/causeway'),
  CONSOLE_PASSWORD: z.string().optional(),
});

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { login: { type: 'string' }, role: { type: 'string' }, institution: { type: 'string' } },
    strict: true,
  });
  const role = ConsoleRole.safeParse(values.role);
  if (!values.login || !role.success)
    throw new Error(
      'usage: console-account --login <login> --role institution_staff|operator [--institution <id>] (password in CONSOLE_PASSWORD or on stdin)',
    );
  const env = Env.parse(process.env);
  const password = env.CONSOLE_PASSWORD ?? (await readStdinLine());
  const problem = passwordProblem(password);
  if (problem) throw new Error(`password: ${problem}`);
  const ds = createDataSource(env.DATABASE_URL, { poolSize: 1, applicationName: 'causeway-console-account' });
  await ds.initialize();
  try {
    const r = await saveConsoleAccount(ds, { login: values.login, password, role: role.data, institutionId: values.institution ?? null });
    process.stdout.write(
      `${r.created ? 'created' : 'updated (its sessions ended)'}: ${values.login.toLowerCase()} (${role.data}${values.institution ? ` of ${values.institution}` : ''})\n`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`console-account: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
