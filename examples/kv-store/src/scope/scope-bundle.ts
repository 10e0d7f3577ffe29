import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** ScopeAssets are the page's files, built in memory: nothing generated is written or checked in. */
export interface ScopeAssets {
  html: string;
  js: Buffer;
  css: Buffer;
}

const ENTRY = fileURLToPath(new URL('./web/main.tsx', import.meta.url));

/** buildScopeAssets bundles the Preact + uPlot front end (web/) with esbuild; takes well under a second. */
export async function buildScopeAssets(): Promise<ScopeAssets> {
  const result = await build({
    entryPoints: { app: ENTRY },
    bundle: true,
    write: false,
    outdir: '/scope',
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: 'silent',
  });
  const file = (ext: string): Buffer => Buffer.from(result.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array());
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kv-store scope</title><link rel="stylesheet" href="/app.css"></head>
<body><div id="root">loading…</div><script type="module" src="/app.js"></script></body></html>
`;
  return { html, js: file('.js'), css: file('.css') };
}
