// A pino logger whose lines land in an array, for tests that assert on what was logged.
import { Writable } from 'node:stream';
import pino from 'pino';
import { serializers } from '../../src/http/log.js';

export function captureLogs(level = 'warn') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level, serializers }, stream) };
}

export type CapturedLogs = ReturnType<typeof captureLogs>;
