/**
 * What a run achieved, sorted out of its fields for the top of the run view: the parameters
 * it ran with and its final metrics (a W&B or neptune user looks for these first), the unit
 * of a hardware series, and the histograms that `mltrack import neptune` and
 * `jupyter_mltrack.scale` store as JSON text. Pure functions: jest tests them.
 */
import { IRunField } from '../runs/api';

/** Namespaces the run records about itself: shown further down, never in the summary. */
const CONTEXT_NAMESPACES = ['sys', 'source_code', 'monitoring', 'forking'];

function top(path: string): string {
  return path.split('/', 1)[0];
}

/** A field the run records about itself (sys, source, hardware, console, lineage). */
export function isContextField(path: string): boolean {
  return CONTEXT_NAMESPACES.includes(top(path));
}

export interface ISummary {
  /** Parameters: the fields the server calls parameters (`kind`). */
  params: IRunField[];
  /** Final metrics: its metrics, a float series by its last value. */
  metrics: IRunField[];
}

/**
 * Parameters and final metrics by each field's `kind`, the server's one rule for the runs
 * table's default columns, this summary and `mltrack show` (jupyter_mltrack/query/paths.py).
 */
export function summarize(fields: IRunField[]): ISummary {
  const params = fields.filter(f => f.kind === 'param');
  const metrics = fields.filter(f => f.kind === 'metric');
  const byPath = (a: IRunField, b: IRunField) => a.path.localeCompare(b.path);
  return { params: params.sort(byPath), metrics: metrics.sort(byPath) };
}

/** Units of the hardware series (docs/run-context.md), by the path's last part(s). */
const UNITS: [RegExp, string][] = [
  [/(^|\/)monitoring(\/[^/]+)*\/gpu\/[^/]+\/utilization$/, '%'],
  [/(^|\/)monitoring(\/[^/]+)*\/gpu\/[^/]+\/memory$/, 'GiB'],
  [/(^|\/)monitoring(\/[^/]+)*\/gpu\/[^/]+\/power$/, 'W'],
  [/(^|\/)monitoring(\/[^/]+)*\/gpu\/[^/]+\/temperature$/, '°C'],
  [/^monitoring(\/[^/]+)*\/process_cpu$/, '% of one core'],
  [/^monitoring(\/[^/]+)*\/cpu$/, '%'],
  [/^monitoring(\/[^/]+)*\/(memory|process_rss)$/, 'GiB']
];

/** The unit of a series when the run records it itself; '' when unknown. */
export function unitOf(path: string): string {
  for (const [pattern, unit] of UNITS) {
    if (pattern.test(path)) {
      return unit;
    }
  }
  return '';
}

/** One histogram: `values[i]` counts what falls between `edges[i]` and `edges[i + 1]`. */
export interface IHistogram {
  edges: number[];
  values: number[];
}

/**
 * A histogram stored as text (`{"type", "edges", "values"}`: docs/coming-from.md), or null
 * when `value` is anything else (a console line, say).
 */
export function parseHistogram(value: unknown): IHistogram | null {
  if (typeof value !== 'string' || !value.startsWith('{')) {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return null;
  }
  const { edges, values } = parsed as { edges?: unknown; values?: unknown };
  const numbers = (a: unknown): a is number[] =>
    Array.isArray(a) && a.every(v => typeof v === 'number');
  if (
    !numbers(edges) ||
    !numbers(values) ||
    edges.length !== values.length + 1
  ) {
    return null;
  }
  return { edges, values };
}

/** A string series whose last value is a histogram is a histogram series. */
export function isHistogramSeries(field: IRunField): boolean {
  return field.type === 'string_series' && parseHistogram(field.last) !== null;
}
