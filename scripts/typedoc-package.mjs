// The TypeDoc options of one package, shared by every package's typedoc.config.mjs: the entry points
// are the package's `exports` (each entry's `source` file), so a new entry is documented (and checked)
// without touching this file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packageOptions reads the package.json next to `configUrl` and returns its TypeDoc options. */
export function packageOptions(configUrl) {
  const dir = dirname(fileURLToPath(configUrl));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entryPoints = Object.values(pkg.exports)
    .filter((value) => typeof value === 'object' && typeof value.source === 'string')
    .map((value) => value.source);
  return { entryPoints };
}
