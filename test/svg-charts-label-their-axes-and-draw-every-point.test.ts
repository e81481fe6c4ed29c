/**
 * A chart, drawn: its title, both axis labels with units, one `.point` per data point, a
 * legend entry per series, labelled marker lines inside the range (and none outside it), and
 * text escaped so a label cannot break the SVG.
 */
import { expect, it } from 'vitest';
import type { BarChart, LineChart } from '../src/report/chart.ts';
import { renderChart } from '../src/report/svg.ts';

const line: LineChart = {
  kind: 'line', id: 'c1', title: 'Throughput <against> ring size', verdict: 'v',
  x: { label: 'ring size (entries per vCPU, log scale)', scale: 'log2', format: 'entries' },
  y: { label: 'guest writes per second', scale: 'linear', format: 'count' },
  series: [
    { name: 'random & co', points: [{ x: 256, y: 1e6, lo: 8e5, hi: 1.2e6 }, { x: 4096, y: 8e6 }, { x: 65536, y: 9e6 }] },
    { name: 'zipf', points: [{ x: 256, y: 2e6 }, { x: 65536, y: 7e6 }] },
    { name: 'fit', style: 'fit', points: [{ x: 256, y: 1e6 }, { x: 65536, y: 9e6 }] },
  ],
  markers: [{ x: 1536, label: 'L1d 48 KiB', kind: 'cache' }, { x: 3440640, label: 'L3 105 MiB', kind: 'cache' }],
};

it('a line chart: labels, points, whiskers, legend, markers in range only, escaped text', () => {
  const svg = renderChart(line);
  expect(svg.match(/class="point"/g)).toHaveLength(5); // the fit draws a line, no points
  expect(svg).toMatch(/class="axis-label x-label"[^>]*>ring size \(entries per vCPU, log scale\)</);
  expect(svg).toMatch(/class="axis-label y-label"[^>]*>guest writes per second</);
  expect(svg.match(/class="whisker"/g)).toHaveLength(1);
  expect(svg.match(/class="legend-item"/g)).toHaveLength(3);
  expect(svg).toContain('>L1d 48 KiB<');
  expect(svg).not.toContain('L3 105 MiB');
  expect(svg).toContain('Throughput &lt;against&gt; ring size');
  expect(svg).toContain('random &amp; co');
  for (const tick of ['256', '4096', '65536']) expect(svg).toContain(`>${tick}</text>`);
});

it('a log axis places no zero or negative value, instead of drawing at -Infinity', () => {
  const svg = renderChart({ ...line, y: { label: 'cost (log scale)', scale: 'log10', format: 'ms' }, series: [{ name: 's', points: [{ x: 256, y: 0 }, { x: 1024, y: 2 }] }], markers: [] });
  expect(svg.match(/class="point"/g)).toHaveLength(1);
  expect(svg).not.toMatch(/NaN|Infinity/);
});

it('a bar chart: one bar per value, categories under the axis', () => {
  const bars: BarChart = {
    kind: 'bar', id: 'b', title: 'Collector time', categories: ['heavy random writes, 64 MiB', 'sparse'], categoryLabel: 'workload', verdict: 'v',
    y: { label: 'collector time per iteration', scale: 'linear', format: 'ms' },
    series: [{ name: 'ring', values: [{ x: 0, y: 80 }, { x: 0, y: 9 }] }, { name: 'bitmap', values: [{ x: 0, y: 120 }, undefined] }],
  };
  const svg = renderChart(bars);
  expect(svg.match(/class="point bar"/g)).toHaveLength(3);
  expect(svg).toMatch(/class="axis-label x-label"[^>]*>workload</);
  expect(svg).toContain('heavy random writes,');
});
