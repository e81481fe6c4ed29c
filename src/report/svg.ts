/**
 * Charts drawn as inline SVG, by hand: no library, no script, no font or file to fetch, and the
 * same data always gives the same bytes. Every chart has a title, both axes labelled with their
 * units, a legend, and its data points as `.point` elements with a tooltip (`<title>`), which the
 * browser test counts.
 */
import { formatValue, makeScale, placeable, type Scale } from './axis.ts';
import type { Axis, BarChart, Chart, LineChart, Point } from './chart.ts';

/** Okabe-Ito: told apart by people with any common colour-vision deficiency. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
const MARKER_COLOUR = { cache: '#7a5c00', crossover: '#b00020' } as const;
const CHAR_PX = 6.6;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly legendRows: readonly (readonly { name: string; colour: string; dashed: boolean; x: number }[])[];
  readonly titleLines: readonly string[];
}

const n = (v: number) => String(Math.round(v * 10) / 10);

export function renderChart(chart: Chart): string {
  return chart.kind === 'line' ? lineChart(chart) : barChart(chart);
}

function frame(chart: Chart, legend: readonly { name: string; dashed: boolean; colour?: number }[], extraBottom = 0): Frame {
  const small = chart.size === 'small';
  const width = small ? 460 : 1000;
  const left = 76;
  const right = width - 20;
  const rows: { name: string; colour: string; dashed: boolean; x: number }[][] = [[]];
  let x = left;
  legend.forEach((item, i) => {
    const w = 30 + item.name.length * CHAR_PX;
    if (x + w > right && rows.at(-1)!.length) {
      rows.push([]);
      x = left;
    }
    rows.at(-1)!.push({ name: item.name, dashed: item.dashed, colour: PALETTE[(item.colour ?? i) % PALETTE.length]!, x });
    x += w + 10;
  });
  const plotHeight = small ? 180 : 300;
  // A title longer than the chart is wide wraps rather than running off the edge.
  const titleLines = wrap(chart.title, Math.floor((width - left) / 9));
  const top = 26 + 17 * titleLines.length;
  const bottom = top + plotHeight;
  const height = bottom + 52 + extraBottom + rows.length * 18;
  return { width, height, left, right, top, bottom, legendRows: rows, titleLines };
}

function open(chart: Chart, f: Frame): string {
  return `<svg class="chart" data-chart="${escapeXml(chart.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${escapeXml(chart.title)}">`
    + `<title>${escapeXml(chart.title)}</title>`
    + `<text class="title" x="${f.left}" y="22">${f.titleLines.map((l, i) => `<tspan x="${f.left}" dy="${i ? 17 : 0}">${escapeXml(l)}</tspan>`).join('')}</text>`;
}

function yAxis(axis: Axis, s: Scale, f: Frame): string {
  const ticks = s.ticks.map((t) => {
    const y = n(s.at(t));
    return `<line class="grid" x1="${f.left}" x2="${f.right}" y1="${y}" y2="${y}"/><text class="tick" x="${f.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatValue(axis.format, t))}</text>`;
  }).join('');
  const mid = (f.top + f.bottom) / 2;
  return `<g class="y-axis">${ticks}<line class="axis" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.bottom}"/>`
    + `<text class="axis-label y-label" transform="translate(16 ${n(mid)}) rotate(-90)" text-anchor="middle">${escapeXml(axis.label)}</text></g>`;
}

function xAxis(axis: Axis, s: Scale, f: Frame): string {
  const ticks = s.ticks.map((t) => {
    const x = n(s.at(t));
    return `<line class="grid" x1="${x}" x2="${x}" y1="${f.top}" y2="${f.bottom}"/><text class="tick" x="${x}" y="${f.bottom + 16}" text-anchor="middle">${escapeXml(formatValue(axis.format, t))}</text>`;
  }).join('');
  return `<g class="x-axis">${ticks}<line class="axis" x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}"/>`
    + `<text class="axis-label x-label" x="${n((f.left + f.right) / 2)}" y="${f.bottom + 36}" text-anchor="middle">${escapeXml(axis.label)}</text></g>`;
}

function legend(f: Frame, extraBottom = 0): string {
  const items = f.legendRows.flatMap((row, r) => row.map((it) => {
    const y = f.bottom + 56 + extraBottom + r * 18;
    return `<g class="legend-item"><line x1="${n(it.x)}" x2="${n(it.x + 22)}" y1="${y - 4}" y2="${y - 4}" stroke="${it.colour}" stroke-width="3"${it.dashed ? ' stroke-dasharray="6 4"' : ''}/>`
      + `<text x="${n(it.x + 28)}" y="${y}">${escapeXml(it.name)}</text></g>`;
  }));
  return `<g class="legend">${items.join('')}</g>`;
}

function tooltip(label: string, p: Point, x: Axis, y: Axis): string {
  const range = p.lo !== undefined && p.hi !== undefined ? ` (range ${formatValue(y.format, p.lo)} to ${formatValue(y.format, p.hi)})` : '';
  return `<title>${escapeXml(`${label}: ${formatValue(x.format, p.x)} → ${formatValue(y.format, p.y)}${range}`)}</title>`;
}

function lineChart(c: LineChart): string {
  const f = frame(c, c.series.map((s) => ({ name: s.name, dashed: s.style === 'fit', ...(s.colour !== undefined ? { colour: s.colour } : {}) })));
  const markers = (c.markers ?? []).filter((m) => placeable(c.x, m.x));
  const xs = [...c.series.flatMap((s) => s.points.map((p) => p.x))];
  const ys = c.series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]));
  const sx = makeScale(c.x, xs, [f.left, f.right]);
  const sy = makeScale(c.y, ys, [f.bottom, f.top]);
  const inX = (v: number) => v >= sx.domain[0] * (1 - 1e-9) && v <= sx.domain[1] * (1 + 1e-9);
  const body = c.series.map((s, i) => {
    const colour = PALETTE[(s.colour ?? i) % PALETTE.length]!;
    const pts = s.points.filter((p) => placeable(c.x, p.x) && placeable(c.y, p.y));
    const d = pts.map((p, k) => `${k ? 'L' : 'M'}${n(sx.at(p.x))} ${n(sy.at(p.y))}`).join(' ');
    const path = pts.length > 1 ? `<path class="line" d="${d}" stroke="${colour}"${s.style === 'fit' ? ' stroke-dasharray="6 4"' : ''}/>` : '';
    if (s.style === 'fit') return `<g class="series fit" data-series="${escapeXml(s.name)}">${path}</g>`;
    const dots = pts.map((p) => {
      const whisker = p.lo !== undefined && p.hi !== undefined && placeable(c.y, p.lo) && placeable(c.y, p.hi)
        ? `<line class="whisker" x1="${n(sx.at(p.x))}" x2="${n(sx.at(p.x))}" y1="${n(sy.at(p.lo))}" y2="${n(sy.at(p.hi))}" stroke="${colour}"/>` : '';
      return `${whisker}<circle class="point" cx="${n(sx.at(p.x))}" cy="${n(sy.at(p.y))}" r="3.5" fill="${colour}">${tooltip(s.name, p, c.x, c.y)}</circle>`;
    }).join('');
    return `<g class="series" data-series="${escapeXml(s.name)}">${path}${dots}</g>`;
  }).join('');
  const marks = markers.filter((m) => inX(m.x)).map((m, i) => {
    const x = n(sx.at(m.x));
    const colour = MARKER_COLOUR[m.kind];
    const nearRight = sx.at(m.x) > f.right - 150;
    return `<g class="marker ${m.kind}"><line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.bottom}" stroke="${colour}" stroke-dasharray="3 3" stroke-width="1.5"/>`
      + `<text x="${nearRight ? Number(x) - 4 : Number(x) + 4}" y="${f.top + 12 + 14 * i}" fill="${colour}" text-anchor="${nearRight ? 'end' : 'start'}">${escapeXml(m.label)}</text></g>`;
  }).join('');
  return `${open(c, f)}${yAxis(c.y, sy, f)}${xAxis(c.x, sx, f)}${body}${marks}${legend(f)}</svg>`;
}

/** Splits a label into lines of at most `chars` characters at spaces. */
function wrap(text: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (line + ' ' + word).length > chars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

function barChart(c: BarChart): string {
  const probe = frame(c, []);
  const groupWidth = (probe.right - probe.left) / Math.max(1, c.categories.length);
  const labels = c.categories.map((cat) => wrap(cat, Math.max(8, Math.floor(groupWidth / CHAR_PX))));
  const extra = (Math.max(1, ...labels.map((l) => l.length)) - 1) * 13;
  const f = frame(c, c.series.map((s) => ({ name: s.name, dashed: false })), extra);
  const values = c.series.flatMap((s) => s.values.flatMap((v) => (v ? [v.y, v.lo ?? v.y, v.hi ?? v.y] : [])));
  const sy = makeScale(c.y, values, [f.bottom, f.top]);
  const base = c.y.scale === 'linear' ? sy.at(Math.max(0, sy.domain[0])) : f.bottom;
  const slots = Math.max(1, c.series.length);
  const barWidth = Math.min(48, (groupWidth * 0.8) / slots);
  const bars = c.series.map((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    return `<g class="series" data-series="${escapeXml(s.name)}">${s.values.map((v, k) => {
      if (!v || !placeable(c.y, v.y)) return '';
      const x = f.left + groupWidth * k + (groupWidth - barWidth * slots) / 2 + barWidth * i;
      const y = sy.at(v.y);
      const whisker = v.lo !== undefined && v.hi !== undefined && placeable(c.y, v.lo)
        ? `<line class="whisker" x1="${n(x + barWidth / 2)}" x2="${n(x + barWidth / 2)}" y1="${n(sy.at(v.lo))}" y2="${n(sy.at(v.hi))}" stroke="#222"/>` : '';
      const tip = `<title>${escapeXml(`${s.name} · ${c.categories[k]}: ${formatValue(c.y.format, v.y)}${v.lo !== undefined && v.hi !== undefined ? ` (range ${formatValue(c.y.format, v.lo)} to ${formatValue(c.y.format, v.hi)})` : ''}`)}</title>`;
      return `<rect class="point bar" x="${n(x + 1)}" y="${n(Math.min(y, base))}" width="${n(Math.max(1, barWidth - 2))}" height="${n(Math.max(1, Math.abs(base - y)))}" fill="${colour}">${tip}</rect>${whisker}`;
    }).join('')}</g>`;
  }).join('');
  const cats = labels.map((lines, k) => {
    const x = n(f.left + groupWidth * (k + 0.5));
    return `<text class="tick category" x="${x}" y="${f.bottom + 16}" text-anchor="middle">${lines.map((l, j) => `<tspan x="${x}" dy="${j ? 13 : 0}">${escapeXml(l)}</tspan>`).join('')}</text>`;
  }).join('');
  const xLabel = `<g class="x-axis"><line class="axis" x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}"/>${cats}`
    + `<text class="axis-label x-label" x="${n((f.left + f.right) / 2)}" y="${f.bottom + 36 + extra}" text-anchor="middle">${escapeXml(c.categoryLabel)}</text></g>`;
  return `${open(c, f)}${yAxis(c.y, sy, f)}${xLabel}${bars}${legend(f, extra)}</svg>`;
}
