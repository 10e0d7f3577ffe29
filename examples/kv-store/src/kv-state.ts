import type { KvCommand, KvResult } from './kv-command.js';

/**
 * KvState is the replicated state machine: a map from keys to values, changed only by applying the
 * decided log in order. Every replica that applied the same prefix holds the same map.
 */
export class KvState {
  private readonly data = new Map<string, string>();
  /** applied is the number of log entries applied so far (the next index to apply). */
  applied = 0;

  /** apply executes the command at the next log index and returns its result. */
  apply(command: KvCommand): KvResult {
    this.applied++;
    const current = this.data.get(command.key) ?? null;
    switch (command.op) {
      case 'put':
        this.data.set(command.key, command.value);
        return { op: 'put', previous: current };
      case 'get':
        return { op: 'get', value: current };
      case 'delete':
        return { op: 'delete', existed: this.data.delete(command.key) };
      case 'cas': {
        if (current !== command.expected) return { op: 'cas', ok: false, current };
        if (command.value === null) this.data.delete(command.key);
        else this.data.set(command.key, command.value);
        return { op: 'cas', ok: true, current: command.value };
      }
    }
  }

  /** peek returns the value of `key` as applied so far, without going through the log (internal records). */
  peek(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** size is the number of keys. */
  get size(): number {
    return this.data.size;
  }
}
