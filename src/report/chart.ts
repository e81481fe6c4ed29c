/**
 * Charts as plain data: what to draw, not how. An experiment's report module builds these from
 * its results; svg.ts draws them. A new chart is a function that returns one of these and a
 * line that adds it to its section.
 */

/** How an axis's numbers read: ring sizes, bytes, durations (ms in), shares (0 to 1), counts and rates. */
export type AxisFormat = 'entries' | 'bytes' | 'ms' | 'share' | 'count' | 'iteration';

export interface Axis {
  /** With its unit: "ring size (entries per vCPU, log scale)". */
  readonly label: string;
  readonly scale: 'linear' | 'log2' | 'log10';
  readonly format: AxisFormat;
  /** Linear axes start at zero unless told otherwise. @default true */
  readonly zero?: boolean;
}

export interface Point {
  readonly x: number;
  readonly y: number;
  /** The trials' range, drawn as a whisker. */
  readonly lo?: number;
  readonly hi?: number;
}

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
  /** A fitted law is dashed and has no dots. @default 'line' */
  readonly style?: 'line' | 'fit';
  /** Palette index: a fit takes the colour of the series it fits. @default its position */
  readonly colour?: number;
}

/** A labelled vertical line: a cache boundary, a crossover. */
export interface Marker {
  readonly x: number;
  readonly label: string;
  readonly kind: 'cache' | 'crossover';
}

export interface LineChart {
  readonly kind: 'line';
  readonly id: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  readonly markers?: readonly Marker[];
  /** One or two sentences under the chart: what it shows. */
  readonly verdict: string;
  /** Small charts sit two to a row (the per-iteration timelines). @default 'wide' */
  readonly size?: 'wide' | 'small';
}

export interface BarSeries {
  readonly name: string;
  /** One value per category; undefined where the scenario did not run. */
  readonly values: readonly (Point | undefined)[];
}

/** Grouped bars: categories along x, one bar per series in each. `Point.y` is the bar, lo/hi its whisker. */
export interface BarChart {
  readonly kind: 'bar';
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly categoryLabel: string;
  readonly y: Axis;
  readonly series: readonly BarSeries[];
  readonly verdict: string;
  readonly size?: 'wide' | 'small';
}

export type Chart = LineChart | BarChart;
