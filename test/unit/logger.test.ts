import { Writable } from 'node:stream';
import { createLogger } from '../../platform/logger';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

it('names the service in svc, so no line carries a redacted logger name', async () => {
  const { lines, stream } = capture();
  const logger = createLogger({ level: 'info', name: 'causeway', destination: stream });
  logger.info('started');
  await new Promise((r) => setImmediate(r));
  expect(lines[0]).toMatchObject({ svc: 'causeway', msg: 'started' });
  expect(lines[0]).not.toHaveProperty('name');
});

it("still redacts a person's name, ID number and secrets wherever a careless call puts them", async () => {
  const { lines, stream } = capture();
  const logger = createLogger({ level: 'info', name: 'causeway', destination: stream });
  logger.info({ name: 'Zhang San', user: { idNumber: '110101199003071234', name: 'Li Si' }, secret: 's3cret' }, 'careless');
  await new Promise((r) => setImmediate(r));
  const text = JSON.stringify(lines[0]);
  for (const leaked of ['Zhang San', 'Li Si', '110101199003071234', 's3cret']) expect(text).not.toContain(leaked);
  expect(lines[0]).toMatchObject({ name: '[redacted]', secret: '[redacted]' });
});
