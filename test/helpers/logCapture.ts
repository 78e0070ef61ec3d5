import { Writable } from 'node:stream';

/** Collects every log line a test's platform writes, so a test can search them for PII. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });

  text(): string {
    return this.lines.join('\n');
  }
}
