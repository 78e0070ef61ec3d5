import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseOptions, REPLICATED, usage, type BenchOptions, type ScenarioName } from './lib/options';
import { machineInfo, writeResults, type BenchResults, type Comparison } from './lib/report';
import { startStack, type Stack } from './lib/stack';
import { nowMs, round } from './lib/stats';
import { hl7Scenario } from './scenarios/hl7';
import { journeyScenario } from './scenarios/journey';
import { readsScenario } from './scenarios/reads';
import { rushScenario } from './scenarios/rush';
import { streamsScenario } from './scenarios/streams';
import { transitScenario } from './scenarios/transit';
import { webhooksScenario } from './scenarios/webhooks';
import { retailScenario } from './scenarios/retail';
import { reportsScenario } from './scenarios/reports';

/**
 * `npm run bench`: stands up the real stack (fresh database, in-memory Temporal, simulators, API and
 * worker processes), runs each scenario beside its floor, writes bench/results/latest.{json,md} and
 * prints the table. Tears everything down, whatever happens.
 */
const REPO_ROOT = path.join(__dirname, '..', '..');

function say(m: string): void {
  process.stdout.write(`[bench] ${m}\n`);
}

type Runner = (stack: Stack, say: (m: string) => void) => Promise<{ comparisons: Comparison[]; extra?: Record<string, unknown> }>;

const RUNNERS: Record<ScenarioName, Runner> = {
  journey: async (stack, log) => {
    const r = await journeyScenario(stack, log);
    return { comparisons: [r.comparison], extra: { journeyHistoryShapes: r.shapes, journeyCost: r.cost } };
  },
  rush: async (stack, log) => ({ comparisons: await rushScenario(stack, log) }),
  hl7: async (stack, log) => ({ comparisons: await hl7Scenario(stack, log) }),
  reads: async (stack, log) => ({ comparisons: await readsScenario(stack, log) }),
  streams: async (stack, log) => ({ comparisons: await streamsScenario(stack, log) }),
  transit: async (stack, log) => ({ comparisons: await transitScenario(stack, log) }),
  webhooks: async (stack, log) => ({ comparisons: await webhooksScenario(stack, log) }),
  retail: async (stack, log) => ({ comparisons: await retailScenario(stack, log) }),
  reports: async (stack, log) => ({ comparisons: await reportsScenario(stack, log) }),
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseOptions(argv, process.env, REPO_ROOT);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // The SDK's INFO lines (bundler, connections) would drown the bench's own output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = new Date();
  const t0 = nowMs();
  const machine = machineInfo();
  say(`${options.scale} run of ${options.only.join(', ')} on ${machine.cpus} CPUs (load average ${machine.loadAverageBefore.join(' ')})`);

  // The PATH and the database URL stay out of the results file.
  const { path: _path, adminUrl: _adminUrl, outDir: _outDir, ...shown } = options;
  const results: BenchResults = {
    startedAt: started.toISOString(),
    wallSeconds: 0,
    options: shown,
    machine: { ...machine, loadAverageAfter: [] },
    comparisons: [],
    extra: {},
    failures: [],
  };

  // Ctrl-C tears down what was started (children, database, Temporal); a second one exits at once.
  const running: { stack?: Stack } = {};
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('interrupted: tearing down (Ctrl-C again to exit at once)…');
    if (running.stack) void running.stack.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // One pass per process count: the single-process stack runs every chosen scenario; a stack of N API and
  // N worker processes (fresh database and Temporal) runs the replicated ones again, reported beside them.
  for (const replicas of options.replicas) {
    const names = replicas === 1 ? options.only : options.only.filter((n) => REPLICATED.includes(n));
    if (names.length === 0 || interrupted) continue;
    if (replicas > 1) say(`— ${replicas} API processes + ${replicas} workers: ${names.join(', ')} —`);
    const up0 = nowMs();
    const stack = await startStack(options, say, replicas);
    running.stack = stack;
    if (interrupted) {
      await stack.stop();
      return 130;
    }
    const label = replicas > 1 ? ` — ${replicas} API + ${replicas} workers` : '';
    try {
      say(`stack up in ${Math.round((nowMs() - up0) / 1000)} s`);
      for (const name of names) {
        if (interrupted) break;
        const s0 = nowMs();
        try {
          // A process that died mid-scenario fails the scenario at once instead of letting it time out.
          const r = await Promise.race([
            RUNNERS[name](stack, say),
            ...stack.processes.apis.map((c) => c.exited),
            ...stack.processes.workers.map((c) => c.exited),
            stack.processes.bareWorker.exited,
          ]);
          for (const c of r.comparisons) c.scenario += label;
          results.comparisons.push(...r.comparisons);
          for (const [k, v] of Object.entries(r.extra ?? {})) results.extra[replicas > 1 ? `${k}@${replicas}` : k] = v;
          say(`${name}${label} done in ${Math.round((nowMs() - s0) / 1000)} s`);
        } catch (err) {
          if (interrupted) break;
          const message = err instanceof Error ? err.message : String(err);
          results.failures.push(`${name}${label}: ${message}`);
          say(`${name}${label} FAILED: ${message}`);
          if (err instanceof Error && /exited unexpectedly/.test(message)) break;
        }
      }
    } finally {
      say('tearing down…');
      await stack.stop();
      delete running.stack;
    }
  }
  if (interrupted) return 130; // a partial run does not replace the last results
  results.wallSeconds = round((nowMs() - t0) / 1000, 1);
  results.machine.loadAverageAfter = os.loadavg().map((n) => round(n));
  const written = writeResults(options.outDir, results);
  process.stdout.write(`\n${written.text}\n`);
  say(`wrote ${path.relative(process.cwd(), written.json)} and ${path.relative(process.cwd(), written.md)}`);
  return results.failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
