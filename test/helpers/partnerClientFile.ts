import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** The committed client types, generated from the document by openapi-typescript. */
export const PARTNER_CLIENT_TYPES = path.join(__dirname, '..', '..', 'clients', 'partner', 'openapi.d.ts');
// The package's exports hide its bin; it is where npm installs it.
const CLI = path.join(__dirname, '..', '..', 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

/**
 * Runs openapi-typescript's CLI (an ES module, so a child process rather than an import under jest)
 * on the document the API serves, and answers the generated types.
 */
export async function generateClientTypes(documentJson: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  try {
    const input = path.join(dir, 'openapi.json');
    const output = path.join(dir, 'openapi.d.ts');
    writeFileSync(input, documentJson);
    await promisify(execFile)(process.execPath, [CLI, input, '--output', output], { timeout: 60_000 });
    return readFileSync(output, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
