import { describe, expect, it } from 'vitest';
import { formatScript, parseScript, runScript, ScriptSyntaxError } from '../src/index.js';

describe('interaction script format', () => {
  it('round-trips cases, comments and blank lines', () => {
    const text = '# start\nadd-nodes 3\n----\na\nb\n\n# next\ntick 1\n----\nok\n';
    const { cases, trailer } = parseScript(text);
    expect(cases.map((c) => c.command)).toEqual(['add-nodes 3', 'tick 1']);
    expect(cases[1]?.expected).toEqual(['ok']);
    expect(formatScript(cases, cases.map((c) => c.expected), trailer)).toBe(text);
  });

  it('fills in a case written without output', () => {
    const { rewritten } = runScript('add-nodes 3\n\nleader\n');
    expect(rewritten).toContain('leader\n----\nleader: none');
  });

  it('rejects a separator without a command', () => {
    expect(() => parseScript('----\nok\n')).toThrow(ScriptSyntaxError);
  });

  it('renders a bad command as an error line instead of throwing', () => {
    const { outputs } = runScript('add-nodes 3\n\nfly 1\n\npropose x y\n');
    expect(outputs[1]).toEqual(['error: unknown command fly']);
    expect(outputs[2]).toEqual(['error: PID must be an integer, got x']);
  });

  it('renders the same script the same way every time', () => {
    const script = 'add-nodes 5\n\ntick 5\n\nisolate 5\n\npropose 1 a\n\ntick 30\n\nstatus\n\nlog\n';
    expect(runScript(script).rewritten).toBe(runScript(script).rewritten);
  });
});
