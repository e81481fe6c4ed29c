/**
 * Every ```ts example in README.md runs against the source, and every `console.log(...)` in
 * it prints exactly what the `// comment` on its line says.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Outside the repository, so lint and the type-check never see the generated files.
const tmp = mkdtempSync(`${tmpdir()}/dirtylog-readme-`);

describe('README examples', () => {
  it('there are examples to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((code, i) => ({ i, code, first: code.split('\n').find((l) => l.includes('console.log')) ?? '' })))(
    'example $i runs and prints what it says',
    async ({ i, code }) => {
      const expected = code
        .split('\n')
        .filter((l) => /console\.log\(/.test(l))
        .map((l) => /\/\/ (.*)$/.exec(l)?.[1]);
      const file = `${tmp}/example-${i}.ts`;
      writeFileSync(file, code.replaceAll(`from 'dirtylog'`, `from '${root}src/index.ts'`));
      const printed: string[] = [];
      const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
      try {
        await import(file);
      } finally {
        spy.mockRestore();
      }
      expect(printed.length).toBe(expected.length);
      expected.forEach((want, k) => {
        if (want !== undefined) expect(printed[k]).toBe(want);
      });
    },
  );
});
