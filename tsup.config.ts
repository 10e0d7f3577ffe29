/**
 * The one build config of every publishable package (`pnpm build` runs `tsup --config ../../tsup.config.ts`
 * in each): the entry points are read from the package's own `exports` (each entry's `source` file), so
 * adding an entry such as `./internal` to package.json is all a new entry needs. Every entry ships as ESM
 * (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { defineConfig, type Options } from 'tsup';

interface ExportEntry {
  source?: string;
}
interface PackageJson {
  name: string;
  exports: Record<string, ExportEntry | string>;
}

/** Dependencies published only as ES modules: bundled into the CommonJS build so `require` works on every Node 20. */
const ESM_ONLY = ['nanoid'];

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
const entry: Record<string, string> = {};
for (const [key, value] of Object.entries(pkg.exports)) {
  if (typeof value === 'string') continue; // a plain file such as ./package.json: nothing to build
  if (!value.source) throw new Error(`${pkg.name}: export "${key}" has no "source" file to build`);
  entry[basename(value.source, extname(value.source))] = value.source;
}

// Cleaned once here: the two builds below run side by side, so neither may clean the other's output.
rmSync('dist', { recursive: true, force: true });

const common: Options = { entry, dts: true, sourcemap: true, target: 'node20', outDir: 'dist' };

export default defineConfig([
  { ...common, format: 'esm' },
  { ...common, format: 'cjs', noExternal: ESM_ONLY },
]);
