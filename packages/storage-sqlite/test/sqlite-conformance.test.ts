import type { Storage } from '@omnipaxos/core';
import { type ConformanceEntry, type ConformanceSnapshot, describeStorageConformance } from '@omnipaxos/simulator/storage-conformance';
import { type Codec, SqliteStorage, jsonCodec, msgpackCodec } from '@omnipaxos/storage-sqlite';
import { afterAll } from 'vitest';
import { tempDir } from './temp-dir.js';

type E = ConformanceEntry;
type Snap = ConformanceSnapshot;

/** refusing wraps a codec so that it throws on the entry with id -1, to test rollback of a batch. */
function refusing(codec: Codec<E>): Codec<E> {
  return {
    encode: (v) => {
      if (v.id === -1) throw new Error('codec refuses entry -1');
      return codec.encode(v);
    },
    decode: (b) => codec.decode(b),
  };
}

for (const [codecName, makeCodec] of [
  ['msgpack', msgpackCodec<E>],
  ['json', jsonCodec<E>],
] as const) {
  const dir = tempDir(`sqlite-conformance-${codecName}`);
  afterAll(() => dir.remove());
  const paths = new Map<Storage<E, Snap>, string>();
  let n = 0;
  const open = (path: string): SqliteStorage<E, Snap> => {
    const s = SqliteStorage.open<E, Snap>({
      path,
      clusterId: 'conformance',
      pid: 1,
      codec: refusing(makeCodec()),
      ...(codecName === 'json' ? { snapshotCodec: jsonCodec<Snap>() } : {}),
    });
    paths.set(s, path);
    return s;
  };
  describeStorageConformance<E, Snap>(`SqliteStorage (${codecName} codec)`, {
    create: () => open(dir.file(`db-${n++}.sqlite`)),
    reopen: (previous) => {
      (previous as SqliteStorage<E, Snap>).close();
      return open(paths.get(previous) ?? '');
    },
    dispose: (s) => (s as SqliteStorage<E, Snap>).close(),
    failingEntry: { id: -1, data: 'refused' },
  });
}
