import type { Logger } from '@omnipaxos/core';

/** LogLevel is how much a replica logs: `error`, `warn` (the default), `info` or `debug`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** isLogLevel is true for a known level name. */
export function isLogLevel(x: unknown): x is LogLevel {
  return typeof x === 'string' && Object.hasOwn(RANK, x);
}

/**
 * stderrLogger writes one JSON line per message at or above `level` to stderr:
 * `{"level":"error","msg":"…","pid":1,…fields}`. It is what a replica process gives its transport.
 */
export function stderrLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  const min = RANK[level];
  const write = (l: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[l] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ level: l, msg, ...base, ...fields });
    } catch {
      line = JSON.stringify({ level: l, msg, ...base });
    }
    process.stderr.write(`${line}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
