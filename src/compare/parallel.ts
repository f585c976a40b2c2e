/**
 * The data of compare's parallel-coordinates plot, without DOM: one vertical axis per
 * parameter that varies between the runs, then the chosen metric, and one line per run
 * coloured by that metric (as W&B and MLflow draw it). Numbers get a linear axis (or a log
 * one when they span two decades or more, as learning rates do); strings and booleans get
 * one tick per category. Positions run from 0 (bottom) to 1 (top).
 */
import { IRunDetail } from '../runs/api';

export type AxisKind = 'numeric' | 'categorical';

export interface ITick {
  label: string;
  /** 0 (bottom) to 1 (top). */
  at: number;
}

export interface IAxis {
  path: string;
  kind: AxisKind;
  /** A log scale (numeric axes whose values span two decades or more). */
  log: boolean;
  ticks: ITick[];
  /** Where a value sits on this axis (0..1), or null where the run lacks it. */
  at: (value: unknown) => number | null;
}

export interface IParallelLine {
  runId: string;
  /** One position per axis (the metric's last); null where the run lacks the field. */
  positions: (number | null)[];
  /** The metric's position (0..1), which picks the colour; null: no metric value. */
  metric: number | null;
  color: string;
}

export interface IParallelData {
  /** Metric choices: the runs' numeric metrics and `last(<series>)` (each field's kind). */
  metrics: string[];
  /** The metric drawn (the last axis), or '' when the runs have none. */
  metric: string;
  /** The parameter axes, then the metric's. */
  axes: IAxis[];
  lines: IParallelLine[];
}

/** Scalar field types: a value of their own on an axis. */
const SCALARS = new Set(['float', 'int', 'bool', 'string']);
/** Axes beyond this many are left out (the plot stays readable). */
export const MAX_AXES = 16;
/** A line for a run without the metric. */
export const NO_METRIC_COLOR = '#9e9e9e';
/** Viridis at five stops: perceptually even, readable by colour-blind readers. */
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

/**
 * Every parameter and metric of a run, by the server's `kind` (jupyter_mltrack/query/paths.py,
 * the rule of the runs table and the run view): a scalar by its path, a float series by its
 * last value (`last(<path>)`).
 */
export function runValues(run: IRunDetail): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const field of run.fields) {
    if (field.kind === null) {
      continue;
    }
    if (SCALARS.has(field.type)) {
      values.set(field.path, field.value);
    } else if (field.type === 'float_series') {
      values.set(`last(${field.path})`, field.last);
    }
  }
  return values;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The metrics to colour by: `last(<series>)` and the numeric metrics of the runs. */
export function metricChoices(runs: IRunDetail[]): string[] {
  const out = new Set<string>();
  for (const run of runs) {
    for (const field of run.fields) {
      if (field.kind !== 'metric') {
        continue;
      }
      if (field.type === 'float_series') {
        out.add(`last(${field.path})`);
      } else if (field.type === 'float' || field.type === 'int') {
        out.add(field.path);
      }
    }
  }
  return [...out].sort();
}

/** The metric shown first: an accuracy-like score if there is one, else the first. */
export function defaultMetric(metrics: string[]): string {
  return (
    metrics.find(m => /acc|f1|auc|score|precision|recall/i.test(m)) ??
    metrics[0] ??
    ''
  );
}

/**
 * The parameter axes: the runs' scalar parameters (`kind`), only those that differ between
 * the runs, unless none does.
 */
export function parameterPaths(runs: IRunDetail[], metric: string): string[] {
  const values = runs.map(runValues);
  const params = new Set<string>();
  for (const run of runs) {
    for (const field of run.fields) {
      if (field.kind === 'param' && SCALARS.has(field.type)) {
        params.add(field.path);
      }
    }
  }
  const candidates = [...params].filter(p => p !== metric).sort();
  const varying = candidates.filter(
    path => new Set(values.map(v => JSON.stringify(v.get(path)))).size > 1
  );
  return (varying.length ? varying : candidates).slice(0, MAX_AXES);
}

/** Six significant digits, as the tables write numbers. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** An axis over `values` (one per run; undefined where a run lacks the field). */
export function makeAxis(path: string, values: unknown[]): IAxis {
  const present = values.filter(v => v !== undefined && v !== null);
  if (present.length > 0 && present.every(isNumber)) {
    return numericAxis(path, present);
  }
  return categoricalAxis(
    path,
    present.map(v => String(v))
  );
}

function numericAxis(path: string, values: number[]): IAxis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const log = min > 0 && max / min >= 100;
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const span = f(max) - lo;
  const at = (value: unknown): number | null => {
    if (!isNumber(value) || (log && value <= 0)) {
      return null;
    }
    return span > 0 ? (f(value) - lo) / span : 0.5;
  };
  const ticks: ITick[] =
    span > 0
      ? [
          { label: formatNumber(min), at: 0 },
          {
            label: formatNumber(log ? Math.sqrt(min * max) : (min + max) / 2),
            at: 0.5
          },
          { label: formatNumber(max), at: 1 }
        ]
      : [{ label: formatNumber(min), at: 0.5 }];
  return { path, kind: 'numeric', log, ticks, at };
}

function categoricalAxis(path: string, values: string[]): IAxis {
  const categories = [...new Set(values)].sort();
  const position = (i: number): number =>
    categories.length > 1 ? i / (categories.length - 1) : 0.5;
  return {
    path,
    kind: 'categorical',
    log: false,
    ticks: categories.map((label, i) => ({ label, at: position(i) })),
    at: value => {
      if (value === undefined || value === null) {
        return null;
      }
      const i = categories.indexOf(String(value));
      return i < 0 ? null : position(i);
    }
  };
}

/** The colour of a metric position (0 low, 1 high) on the viridis ramp. */
export function metricColor(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const mix = x - i;
  const a = hex(RAMP[i]);
  const b = hex(RAMP[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * mix));
  return '#' + c.map(v => v.toString(16).padStart(2, '0')).join('');
}

function hex(color: string): number[] {
  return [1, 3, 5].map(i => parseInt(color.slice(i, i + 2), 16));
}

/** Everything the plot draws for `runs`, coloured by `metric` (its default if not given). */
export function parallelData(
  runs: IRunDetail[],
  metric?: string
): IParallelData {
  const metrics = metricChoices(runs);
  const chosen =
    metric !== undefined && metrics.includes(metric)
      ? metric
      : defaultMetric(metrics);
  const values = runs.map(runValues);
  const paths = parameterPaths(runs, chosen);
  if (chosen) {
    paths.push(chosen);
  }
  const axes = paths.map(path =>
    makeAxis(
      path,
      values.map(v => v.get(path))
    )
  );
  const metricAxis = chosen ? axes[axes.length - 1] : null;
  const lines = runs.map((run, r) => {
    const positions = axes.map(axis => axis.at(values[r].get(axis.path)));
    const at = metricAxis ? positions[positions.length - 1] : null;
    return {
      runId: run.id,
      positions,
      metric: at,
      color: at === null ? NO_METRIC_COLOR : metricColor(at)
    };
  });
  return { metrics, metric: chosen, axes, lines };
}
