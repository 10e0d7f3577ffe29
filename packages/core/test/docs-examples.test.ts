import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';

// Every ```ts block in these pages is a runnable example that asserts what the page says.
const pages = ['README.md', 'docs/core.md', 'docs/compaction.md'];
const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = fileURLToPath(new URL('./.docs-examples/', import.meta.url));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('documentation examples run', () => {
  for (const page of pages) {
    const blocks = [...readFileSync(root + page, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    blocks.forEach((code, i) => {
      it(`${page} example ${i + 1}`, async () => {
        mkdirSync(scratch, { recursive: true });
        const file = `${scratch}${page.replace(/[/.]/g, '-')}-${i + 1}.ts`;
        writeFileSync(file, code);
        await import(/* @vite-ignore */ file);
      });
    });
  }
});
