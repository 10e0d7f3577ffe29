import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryStore, PersistedHistory } from '@omnipaxos/actors';

/**
 * writeJsonDurably replaces `file` with `value` as JSON: written to a temporary file, fsynced, renamed
 * over the old one, and the folder fsynced, so a crash leaves either the old or the new record.
 */
export function writeJsonDurably(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** readJson reads a JSON file written by writeJsonDurably, or undefined if there is none; throws on a damaged one. */
export function readJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${file} is damaged (not JSON); restore it from a backup or start this replica in a fresh data folder`);
  }
}

/**
 * FileHistoryStore keeps a replica's reconfiguration history (the configurations it finished and the
 * one it runs) in a JSON file next to its databases, so a restarted process resumes the configuration
 * it was in, not the one its command line names.
 */
export class FileHistoryStore implements HistoryStore {
  constructor(readonly file: string) {}

  load(): PersistedHistory | undefined {
    return readJson(this.file) as PersistedHistory | undefined;
  }

  save(record: PersistedHistory): void {
    writeJsonDurably(this.file, record);
  }
}
