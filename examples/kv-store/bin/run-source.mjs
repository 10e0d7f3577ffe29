// Runs one of the example's TypeScript entry points from source in a child Node process (with the tsx
// loader and the example's tsconfig), passing the arguments through and exiting with its exit code.
// Used by the `kv` and `kv-store` bin entries, so they run without pnpm's script wrapper.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** runSource runs `../src/<entry>` with this process's arguments and exits as it exits. */
export function runSource(entry) {
  const loader = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', loader, fileURLToPath(new URL(`../src/${entry}`, import.meta.url)), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
  });
  // Ctrl-C reaches the child from the terminal; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}
