import { Packr } from 'msgpackr';

/**
 * Codec turns values into bytes and back. SqliteStorage uses one for log entries and one for
 * snapshots; `decode(encode(x))` must give a value equal to `x`.
 */
export interface Codec<X> {
  /** encode turns a value into bytes; it throws when the value cannot be encoded. */
  encode(value: X): Uint8Array;
  /** decode turns bytes made by `encode` back into the value. */
  decode(bytes: Uint8Array): X;
}

/**
 * msgpackCodec encodes with msgpackr (records off, so plain objects stay plain): fast, compact, and
 * it keeps `Uint8Array`, `Date`, `Map`, `Set`, `undefined` and bigints that JSON loses.
 */
export function msgpackCodec<X>(): Codec<X> {
  const packr = new Packr({ useRecords: false, moreTypes: true });
  return {
    encode: (value) => packr.pack(value),
    decode: (bytes) => packr.unpack(bytes) as X,
  };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** jsonCodec encodes with JSON (UTF-8): readable in the database, for JSON-shaped values only. */
export function jsonCodec<X>(): Codec<X> {
  return {
    encode: (value) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('jsonCodec cannot encode this value');
      return utf8Encoder.encode(text);
    },
    decode: (bytes) => JSON.parse(utf8Decoder.decode(bytes)) as X,
  };
}
