/** The generated views of src/layout.ts (Wasm constants, TS accessors) match the table; a stale copy fails here. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { FIELDS_PATH, GENERATED_PATH, renderAssemblyLayout, renderFieldAccessors } from '../scripts/gen-layout.ts';
import { ABI, SLOT_FIELDS, VCPU_FIELDS, VM_FIELDS } from '../src/layout.ts';

it('the committed AssemblyScript constants equal a fresh generation (run `npm run gen:layout`)', () => {
  expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(renderAssemblyLayout());
});

it('the committed field accessors equal a fresh generation (run `npm run gen:layout`)', () => {
  expect(readFileSync(FIELDS_PATH, 'utf8')).toBe(renderFieldAccessors());
});

it('every constant appears once, with its value', () => {
  const text = renderAssemblyLayout();
  for (const [name, value] of Object.entries(ABI)) {
    expect(text.match(new RegExp(`export const ${name}: \\w+ = (-?\\d+);`))?.[1]).toBe(String(value));
  }
});

it.each([
  ['VM', VM_FIELDS, ABI.VM_CTL_SIZE],
  ['VCPU', VCPU_FIELDS, ABI.VCPU_STRIDE],
  ['SLOT', SLOT_FIELDS, ABI.SLOT_STRIDE],
] as const)('%s fields are aligned to their width, disjoint and inside the block', (_name, fields, size) => {
  const spans = Object.values(fields).map((f) => [f.at, f.type === 'u64' ? 8 : 4] as const).sort((a, b) => a[0] - b[0]);
  for (const [at, width] of spans) {
    expect(at % width).toBe(0);
    expect(at + width).toBeLessThanOrEqual(size);
  }
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![0] + spans[i - 1]![1]);
});
