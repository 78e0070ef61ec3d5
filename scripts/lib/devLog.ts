import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';
import { createLogger, type Logger } from '../../platform/logger';

/**
 * `npm start`'s logger: every JSON line goes to `data/logs/causeway.log` (for `jq`, or to attach to a
 * bug report); only warnings and errors reach the terminal, as one readable line each, so the demo's
 * own steps stay legible.
 */
export function devLogger(dataDir: string, level: string): { logger: Logger; file: string } {
  const dir = path.join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'causeway.log');
  const streams = pino.multistream([
    { level, stream: pino.destination({ dest: file, sync: false }) },
    {
      level: 'warn',
      stream: pretty({
        singleLine: true,
        colorize: process.stdout.isTTY,
        ignore: 'pid,hostname,svc,req,res,responseTime',
        translateTime: 'HH:MM:ss',
        messageFormat: '[causeway] {msg}',
      }),
    },
  ]);
  return { logger: createLogger({ level, name: 'causeway', destination: streams }), file };
}
