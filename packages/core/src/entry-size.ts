/**
 * estimateSize is the default `sizeOf` for bounding sync and catch-up messages: a deterministic
 * estimate, in bytes, of how large `value` is once encoded (close to its msgpack size for plain data:
 * strings count their UTF-8 bytes, byte arrays their length, numbers 9, each field its key).
 */
export function estimateSize(value: unknown): number {
  return sizeAt(value, 0);
}

const MAX_DEPTH = 64;

function sizeAt(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return 5 + utf8Length(v);
    case 'number':
    case 'bigint':
      return 9;
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      break;
    default:
      return 1;
  }
  if (v === null) return 1;
  if (ArrayBuffer.isView(v)) return 5 + v.byteLength;
  if (v instanceof ArrayBuffer) return 5 + v.byteLength;
  if (depth >= MAX_DEPTH) return 1;
  let n = 5;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) n += sizeAt(v[i], depth + 1);
    return n;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) n += sizeAt(k, depth + 1) + sizeAt(x, depth + 1);
    return n;
  }
  for (const k in v as Record<string, unknown>) {
    if (!Object.hasOwn(v, k)) continue;
    n += 1 + utf8Length(k) + sizeAt((v as Record<string, unknown>)[k], depth + 1);
  }
  return n;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}
