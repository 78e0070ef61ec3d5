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
