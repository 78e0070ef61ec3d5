import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleConverterOptions } from '../platform/codecDataConverter';

/**
 * Bundles the workflows once (the Dockerfile runs this at image build) so a worker started with
 * WORKFLOW_BUNDLE_PATH loads the file instead of running webpack at every start.
 * Usage: node dist/scripts/build-workflow-bundle.js [out-file]
 */
async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), ...bundleConverterOptions });
  writeFileSync(out, code);
  process.stdout.write(`workflow bundle written to ${out} (${code.length} bytes)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`building the workflow bundle failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
