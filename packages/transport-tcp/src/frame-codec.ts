/** FRAME_HEADER_BYTES is the size of a frame's length prefix: a 32-bit unsigned big-endian integer. */
export const FRAME_HEADER_BYTES = 4;

/** FrameError is reported by FrameDecoder when the byte stream cannot be a sequence of valid frames. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** encodeFrame prefixes `payload` with its length; the result is a fresh buffer owned by the caller. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** FrameBatch is what one push completes: whole frame payloads, then the framing error if one followed. */
export interface FrameBatch {
  frames: Buffer[];
  error: FrameError | undefined;
}

/**
 * FrameDecoder cuts a TCP byte stream into length-delimited frames. It buffers at most one frame
 * (`maxFrameBytes` plus a header) and reports a FrameError for an empty or oversize frame, so a peer
 * cannot make it allocate more than that. Bytes are held as a chunk list and joined once per frame.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private error: FrameError | undefined;
  private buffered = 0;
  /** needed is the payload length of the frame being read, or -1 while reading a header. */
  private needed = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /**
   * push adds received bytes and returns the payloads of every frame they complete, in order. A framing
   * error is returned after the frames before it (they were complete and valid as frames); once an
   * error is returned the decoder is broken and every later push returns it again.
   */
  push(chunk: Buffer): FrameBatch {
    const frames: Buffer[] = [];
    if (this.error !== undefined) return { frames, error: this.error };
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.needed < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length === 0 || length > this.maxFrameBytes) {
          this.error = new FrameError(
            length === 0 ? 'empty frame' : `frame of ${length} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`,
          );
          this.chunks = [];
          this.buffered = 0;
          return { frames, error: this.error };
        }
        this.needed = length;
      }
      if (this.buffered < this.needed) break;
      frames.push(this.take(this.needed));
      this.needed = -1;
    }
    return { frames, error: undefined };
  }

  /** pendingBytes is how many received bytes wait for the rest of their frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const joined = Buffer.concat(this.chunks, this.buffered);
    const out = joined.subarray(0, n);
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.buffered -= n;
    return out;
  }
}
