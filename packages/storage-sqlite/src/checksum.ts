import * as zlib from 'node:zlib';
import { StorageError } from '@omnipaxos/core';

/** A CRC-32 (IEEE) function: `crc32(b, crc32(a))` is the checksum of `a` followed by `b`. */
type Crc32 = (data: Uint8Array, initial?: number) => number;

let table: Uint32Array | undefined;

/** crc32Portable computes CRC-32 (IEEE, the zlib one) a byte at a time, for runtimes without zlib.crc32. */
export function crc32Portable(data: Uint8Array, initial = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~initial >>> 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;

/** crc32 is zlib's native CRC-32 where Node has it (20.15+), else the portable one: same values either way. */
export const crc32: Crc32 = native ?? crc32Portable;

const idxBytes = Buffer.alloc(8);
const utf8 = new TextEncoder();

/** entryChecksum is the checksum stored beside entry `idx`: CRC-32 of the index (8 bytes LE) then the data. */
export function entryChecksum(idx: number, data: Uint8Array): number {
  idxBytes.writeUInt32LE(idx % 0x100000000, 0);
  idxBytes.writeUInt32LE(Math.floor(idx / 0x100000000), 4);
  return crc32(data, crc32(idxBytes));
}

/** metaChecksum is the checksum stored beside a `meta` row: CRC-32 of its key, value type and value. */
export function metaChecksum(key: string, value: string | number | Uint8Array): number {
  const head = crc32(utf8.encode(key));
  if (typeof value === 'string') return crc32(utf8.encode(`s${value}`), head);
  if (typeof value === 'number') return crc32(utf8.encode(`n${value}`), head);
  return crc32(value, crc32(utf8.encode('b'), head));
}

/**
 * ChecksumError is a StorageError for stored bytes that do not match the checksum written with them:
 * the file was changed outside SQLite (a flipped bit, a bad sector, a stray write). It names the file
 * and the entry index (or the state row) so an operator knows what is damaged.
 */
export class ChecksumError extends StorageError {
  constructor(
    /** The database file. */
    readonly path: string,
    /** The damaged entry's absolute index, or the damaged `meta` row's key. */
    readonly at: { index: number } | { key: string },
  ) {
    super(
      'index' in at
        ? `${path}: checksum mismatch in log entry ${at.index}: the stored bytes changed after they were written; this replica must not serve them`
        : `${path}: checksum mismatch in state row '${at.key}': the stored bytes changed after they were written`,
    );
  }
}
