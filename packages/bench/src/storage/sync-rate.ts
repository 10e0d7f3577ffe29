/** sync-rate measures the machine's plain-file sync rate: the physical reference for durable commits. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** syncRate runs write(4 KiB) + `sync(fd)` over a 1 MiB region of a temp file for `ms`; returns syncs/s. */
export function syncRate(dir: string, ms: number, sync: (fd: number) => void): number {
  const fd = openSync(join(dir, 'sync.bin'), 'w');
  const block = Buffer.alloc(4096, 1);
  let n = 0;
  const end = Date.now() + ms;
  const t0 = performance.now();
  while (Date.now() < end) {
    writeSync(fd, block, 0, block.length, (n % 256) * 4096);
    sync(fd);
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  closeSync(fd);
  return Math.round(rate);
}
