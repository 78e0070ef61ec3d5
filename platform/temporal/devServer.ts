import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { resolveTemporalCli } from './cli';

export interface DevServerOptions {
  pathVar: string;
  /** SQLite file so journeys survive a restart; in-memory when absent (tests). */
  dbFilename?: string;
  port?: number;
  ip?: string;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  /** The codec endpoint the Web UI uses to decode encrypted payloads. */
  uiCodecEndpoint?: string;
  log?: (msg: string) => void;
}

export interface DevServer {
  address: string;
  executable: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** A real Temporal dev server (the CLI's `server start-dev`) with Causeway's search attributes registered. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = resolveTemporalCli({ pathVar: opts.pathVar, install: true, ...(opts.log ? { log: opts.log } : {}) });
  const extraArgs: string[] = ['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'];
  if (opts.uiCodecEndpoint) extraArgs.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      ...(opts.port ? { port: opts.port } : {}),
      ip: opts.ip ?? '127.0.0.1',
      ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : { ui: false }),
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      log: { format: 'json', level: 'error' },
      extraArgs,
    },
  });
  return {
    address: env.address,
    executable: cli ?? 'sdk-download',
    env,
    stop: () => env.teardown(),
  };
}

/**
 * `temporal server start-dev` as a command line, for a caller that runs the process itself (npm start's
 * supervisor) instead of handing it to the SDK. Undefined when no Temporal CLI can be found.
 */
export function devServerCommand(
  opts: DevServerOptions & { port: number; uiPort: number },
): { command: string; args: string[]; address: string } | undefined {
  const cli = resolveTemporalCli({ pathVar: opts.pathVar, install: true, ...(opts.log ? { log: opts.log } : {}) });
  if (!cli) return undefined;
  const ip = opts.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(opts.port), '--ui-port', String(opts.uiPort)];
  args.push('--log-format', 'json', '--log-level', 'error');
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`);
  return { command: cli, args, address: `${ip}:${opts.port}` };
}

/** Waits until a Temporal frontend answers (the CLI needs a few seconds, more on a first SQLite file). */
export async function waitForTemporal(address: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}
