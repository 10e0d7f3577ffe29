/**
 * The data-driven script format, after etcd raft's `testdata/*.txt`: each case is a command line,
 * a line `----`, and the expected output up to the next blank line. Lines starting with `#` before
 * a command are comments; they and blank lines are kept as they are when a script is rewritten.
 *
 *     # elect a leader
 *     tick 5
 *     ----
 *     t5 1->2 Prepare n=1.0.3 decided=0 accepted=-@0
 *     ...
 */

/** ScriptCase is one command of a script with the output written under it. */
export interface ScriptCase {
  /** The comment and blank lines before the command, verbatim. */
  preamble: string[];
  /** The command line, trimmed. */
  command: string;
  /** The expected output lines (none when the script has no output yet). */
  expected: string[];
  /** 1-based line number of the command, for error messages. */
  line: number;
}

/** ScriptSyntaxError is a script that does not follow the case format. */
export class ScriptSyntaxError extends Error {
  override readonly name = 'ScriptSyntaxError';
}

/** SEPARATOR is the line between a command and its output. */
export const SEPARATOR = '----';

/**
 * parseScript splits a script into cases. A command without a `----` line is a case whose output
 * is still to be written (UPDATE=1 fills it in). Trailing comments are kept in `trailer`.
 */
export function parseScript(text: string): { cases: ScriptCase[]; trailer: string[] } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const cases: ScriptCase[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) {
      preamble.push(raw);
      i += 1;
      continue;
    }
    if (raw.trim() === SEPARATOR) throw new ScriptSyntaxError(`line ${i + 1}: '${SEPARATOR}' without a command above it`);
    const c: ScriptCase = { preamble, command: raw.trim(), expected: [], line: i + 1 };
    preamble = [];
    i += 1;
    if (i < lines.length && (lines[i] as string).trim() === SEPARATOR) {
      i += 1;
      while (i < lines.length && (lines[i] as string).trim() !== '') {
        c.expected.push(lines[i] as string);
        i += 1;
      }
    }
    cases.push(c);
  }
  return { cases, trailer: preamble };
}

/** formatScript writes cases back in the script format, each with the given output. */
export function formatScript(cases: readonly ScriptCase[], outputs: readonly string[][], trailer: readonly string[] = []): string {
  const out: string[] = [];
  cases.forEach((c, i) => {
    // A case's output ends at a blank line, so the next case needs one before it.
    if (i > 0 && (c.preamble.length === 0 || (c.preamble[0] as string).trim() !== '')) out.push('');
    out.push(...c.preamble, c.command, SEPARATOR, ...(outputs[i] ?? c.expected));
  });
  out.push(...trailer);
  return `${out.join('\n')}\n`;
}
