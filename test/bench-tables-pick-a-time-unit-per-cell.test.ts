/** Benchmark tables give every time in the unit that suits it (ns, µs, ms, s): no `0.00085 ±0.0000010 ms`. */
import { expect, it } from 'vitest';
import type { BenchRow } from '../src/bench/engine.ts';
import { engineRowLine } from '../src/report/engine-table.ts';
import { formatDuration } from '../src/report/units.ts';

const summary = (median: number, mad: number) => ({ median, mad, min: median, max: median, samples: 9 });

function row(unit: BenchRow['unit'], wasm: number, js: number): BenchRow {
  return { kernel: 'get', guest: '1GiB', pages: 2 ** 18, density: 0.01, items: 1, unit, wasm: summary(wasm, wasm / 850), js: summary(js, js / 100), ratio: js / wasm };
}

it('a GET of 0.00085 ms per call reads 850 ns, next to a js cell in µs', () => {
  const [, , , per, wasm, js] = engineRowLine(row('ms/call', 0.00085, 0.0123));
  expect(per).toBe('call');
  expect(wasm).toBe('850 ±1.0 ns');
  expect(js).toBe('12.3 ±0.12 µs');
});

it('ns/entry cells past a thousand read in µs', () => {
  const [, , , per, wasm, js] = engineRowLine(row('ns/entry', 8.07, 2500));
  expect([per, wasm, js]).toEqual(['entry', '8.07 ±0.0095 ns', '2.50 ±0.025 µs']);
});

it.each([
  [0.00085, '850 ns'], [0.0125, '12.5 µs'], [3.4, '3.40 ms'], [722, '722 ms'], [1200, '1.20 s'], [0.000999999, '1.00 µs'],
])('%d ms is %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});
