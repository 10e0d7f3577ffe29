import { existsSync, readFileSync } from 'node:fs';
import { writeJsonDurably } from '@omnipaxos/storage-sqlite';
import type { HistoryStore, PersistedHistory } from '@omnipaxos/actors';

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
