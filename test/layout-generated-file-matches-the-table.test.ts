/** assembly/layout.generated.ts is generated from src/layout.ts; a stale copy fails here. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GENERATED_PATH, renderAssemblyLayout } from '../scripts/gen-layout.ts';
import { ABI } from '../src/index.ts';

it('the committed AssemblyScript constants equal a fresh generation (run `npm run gen:layout`)', () => {
  expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(renderAssemblyLayout());
});

it('every constant appears once, with its value', () => {
  const text = renderAssemblyLayout();
  for (const [name, value] of Object.entries(ABI)) {
    expect(text.match(new RegExp(`export const ${name}: \\w+ = (-?\\d+);`))?.[1]).toBe(String(value));
  }
});
