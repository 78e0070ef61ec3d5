import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log only warnings and errors: the SDK's INFO lines drown the test output.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // installed already in this worker process
}
