/**
 * package.json declares what a registry and a user of the installed package need: the MIT
 * licence with its LICENSE file, the repository, keywords, and ./package.json among the exports.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;

it('MIT, with a LICENSE file that says so', () => {
  expect(pkg.license).toBe('MIT');
  expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the dirtylog authors\n/);
});

it('repository and keywords', () => {
  expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/dirtylog/dirtylog.git' });
  expect(pkg.keywords).toEqual(expect.arrayContaining(['kvm', 'dirty-ring', 'webassembly']));
});

it('the entry points, and ./package.json exported', () => {
  expect(pkg.bin).toEqual({ dirtylog: 'dist/cli/main.js' });
  expect(pkg.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' });
});
