import { MemoryStorage } from '@omnipaxos/core';
import { type ConformanceEntry, type ConformanceSnapshot, describeStorageConformance } from '@omnipaxos/simulator/storage-conformance';

describeStorageConformance<ConformanceEntry, ConformanceSnapshot>('MemoryStorage', {
  create: () => new MemoryStorage<ConformanceEntry, ConformanceSnapshot>(),
});
