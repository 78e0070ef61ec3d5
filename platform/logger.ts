import pino, { type Logger } from 'pino';

/**
 * Field names that may carry personal data or secrets anywhere in a log object. pino removes them
 * before serialising, so a careless `logger.info({ body })` cannot leak an ID number.
 */
const REDACT = [
  'idNumber',
  'legalName',
  'name',
  'phone',
  'password',
  'authorization',
  'apiKey',
  'secret',
  '*.idNumber',
  '*.legalName',
  '*.name',
  '*.phone',
  '*.secret',
  '*.apiKey',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'req.body',
  'res.body',
];

/**
 * The logger's own name goes in `svc`, not pino's `name`: a top-level `name` is redacted above (a
 * person's name), so every line would otherwise say `"name":"[redacted]"`.
 */
export function createLogger(opts: { level: string; name: string; destination?: pino.DestinationStream }): Logger {
  return pino({ level: opts.level, redact: { paths: REDACT, censor: '[redacted]' }, base: { svc: opts.name } }, opts.destination);
}

export type { Logger };
