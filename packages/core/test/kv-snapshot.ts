import type { SnapshotLogic } from '@omnipaxos/core';

/** KvSnapshot is the state of a tiny key-value store whose log entries are "key=value" strings. */
export type KvSnapshot = Record<string, string>;

/** kvSnapshot builds and merges KvSnapshots: later writes win. */
export const kvSnapshot: SnapshotLogic<string, KvSnapshot> = {
  create(entries) {
    const s: KvSnapshot = {};
    for (const e of entries) {
      const eq = e.indexOf('=');
      s[e.slice(0, eq)] = e.slice(eq + 1);
    }
    return s;
  },
  merge(base, delta) {
    return { ...base, ...delta };
  },
};
