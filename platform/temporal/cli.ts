import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Where the Temporal CLI comes from, in order: `temporal` on PATH, Go's bin folder, `go install`
 * of the pinned release (v1.5.x: later releases carry a `replace` directive `go install` refuses),
 * else undefined — the caller then lets @temporalio/testing download the server.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function goBinDir(): string | undefined {
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    if (gobin) return gobin;
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(path.delimiter)[0];
    return gopath ? path.join(gopath, 'bin') : undefined;
  } catch {
    return undefined; // no Go toolchain
  }
}

export interface ResolveOptions {
  pathVar: string;
  /** Run `go install` when the binary is nowhere to be found (slow the first time: minutes). */
  install: boolean;
  log?: (msg: string) => void;
}

export function resolveTemporalCli(opts: ResolveOptions): string | undefined {
  const fromPath = onPath('temporal', opts.pathVar);
  if (fromPath) return fromPath;
  const bin = goBinDir();
  if (!bin) return undefined;
  const fromGo = path.join(bin, 'temporal');
  if (isExecutable(fromGo)) return fromGo;
  if (!opts.install) return undefined;
  opts.log?.(`installing the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (a few minutes the first time)`);
  try {
    execFileSync('go', ['install', TEMPORAL_CLI_MODULE], { stdio: 'inherit' });
  } catch {
    opts.log?.('go install failed; falling back to the SDK download');
    return undefined;
  }
  return isExecutable(fromGo) ? fromGo : undefined;
}
