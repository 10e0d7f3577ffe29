import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StorageError } from '@omnipaxos/core';

const HEADER = 32;
const FRAME_HEADER = 24;

/** SQLite's write-ahead-log checksum: two 32-bit running sums over 32-bit words, seeded by `s`. */
function walChecksum(bytes: Uint8Array, bigEndian: boolean, s: [number, number]): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let [s0, s1] = s;
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * checkWal reads the write-ahead log SQLite left beside `dbPath` (after a crash) the way SQLite's
 * recovery will, and throws StorageError when recovery would silently drop committed transactions:
 * a header that fails its checksum over frames that follow, or a frame that fails its checksum with
 * intact frames of the same log generation after it (recovery stops at the first bad frame). A bad
 * frame at the very end, with nothing intact after it, is what a crash during that write leaves:
 * SQLite drops that last, never-synced transaction, as it should.
 */
export function checkWal(dbPath: string): void {
  const walPath = `${dbPath}-wal`;
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return; // no log: nothing to recover
  }
  try {
    const size = fstatSync(fd).size;
    if (size < HEADER) return;
    const header = Buffer.alloc(HEADER);
    readSync(fd, header, 0, HEADER, 0);
    const magic = header.readUInt32BE(0);
    const pageSize = header.readUInt32BE(8);
    const damaged = (what: string): StorageError =>
      new StorageError(
        `${walPath}: the write-ahead log is damaged (${what}); SQLite's recovery would silently drop the committed ` +
          'transactions after that point. Keep the files for inspection; rebuild this replica from its peers (see docs/storage.md)',
      );
    if (magic !== 0x377f0682 && magic !== 0x377f0683) {
      if (size >= HEADER + FRAME_HEADER && header.some((b) => b !== 0)) throw damaged('bad header magic');
      return;
    }
    const bigEndian = magic === 0x377f0683;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw damaged(`bad page size ${pageSize}`);
    const frameSize = FRAME_HEADER + pageSize;
    const frames = Math.floor((size - HEADER) / frameSize);
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const headerSum = walChecksum(header.subarray(0, 24), bigEndian, [0, 0]);
    const headerOk = headerSum[0] === header.readUInt32BE(24) && headerSum[1] === header.readUInt32BE(28);
    const frame = Buffer.alloc(frameSize);
    // A frame is intact when its salts are this generation's and its checksum holds, seeded with the
    // checksum stored in the frame before it (so one bad frame does not hide the ones after it).
    const intact = (i: number, seed: [number, number]): { ok: boolean; sum: [number, number] } => {
      readSync(fd, frame, 0, frameSize, HEADER + i * frameSize);
      const stored: [number, number] = [frame.readUInt32BE(16), frame.readUInt32BE(20)];
      if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2 || frame.readUInt32BE(0) === 0) return { ok: false, sum: stored };
      const sum = walChecksum(frame.subarray(FRAME_HEADER), bigEndian, walChecksum(frame.subarray(0, 8), bigEndian, seed));
      return { ok: sum[0] === stored[0] && sum[1] === stored[1], sum: stored };
    };
    let seed: [number, number] = [header.readUInt32BE(24), header.readUInt32BE(28)];
    let bad = headerOk ? -1 : 0;
    for (let i = 0; i < frames && bad < 0; i++) {
      const r = intact(i, seed);
      if (r.ok) seed = r.sum;
      else bad = i;
    }
    if (bad < 0) return;
    for (let j = headerOk ? bad + 1 : 0; j < frames; j++) {
      const prev: [number, number] = j === 0 ? [header.readUInt32BE(24), header.readUInt32BE(28)] : readStoredSum(fd, j - 1, frameSize, frame);
      if (intact(j, prev).ok) throw damaged(headerOk ? `frame ${bad} of ${frames} fails its checksum, frame ${j} after it is intact` : 'its header fails its checksum');
    }
  } finally {
    closeSync(fd);
  }
}

function readStoredSum(fd: number, i: number, frameSize: number, buf: Buffer): [number, number] {
  readSync(fd, buf, 0, FRAME_HEADER, HEADER + i * frameSize);
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}
