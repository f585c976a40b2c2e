/**
 * The runs table's automatic columns: after the `sys/` ones, the parameters and the last
 * value of the metrics that the runs in view share, the most frequent first, capped so the
 * table still fits a screen (as W&B and neptune show a run's config and summary).
 *
 * What counts as what is read from the path and type only, since runs carry no schema:
 * a series is a metric (its last value); a number under a metric namespace (`metrics/`,
 * `val/`, `test/`…) is a metric; any other scalar is a parameter (`parameters/lr`,
 * `params/optimizer`, `data/version`). Paths the library itself writes (`monitoring/`,
 * `source_code/`, `sys/`) and files are never automatic columns.
 */
import { IFieldPath } from './api';

/** At most this many parameter and metric columns by default. */
export const MAX_PARAMS = 8;
export const MAX_METRICS = 6;
/** A path must be on at least this share of the runs in view to be a default column. */
export const MIN_SHARE = 0.2;

const SKIPPED_NAMESPACES = new Set([
  'sys',
  'source_code',
  'monitoring',
  'environment',
  'git'
]);
const METRIC_NAMESPACES = new Set([
  'metrics',
  'metric',
  'scores',
  'score',
  'results',
  'summary',
  'eval',
  'evaluation',
  'test',
  'val',
  'valid',
  'validation',
  'train',
  'training'
]);
const SCALARS = new Set(['float', 'int', 'bool', 'string', 'datetime']);
const NUMBERS = new Set(['float', 'int']);

export type ColumnKind = 'param' | 'metric' | null;

/** Whether a path is a parameter, a metric, or not a default column at all. */
export function columnKind(path: string, type: string): ColumnKind {
  const namespace = path.includes('/') ? path.split('/')[0] : '';
  if (SKIPPED_NAMESPACES.has(namespace)) {
    return null;
  }
  if (type === 'float_series') {
    return 'metric';
  }
  if (!SCALARS.has(type)) {
    return null; // files, string series, sets
  }
  return NUMBERS.has(type) && METRIC_NAMESPACES.has(namespace)
    ? 'metric'
    : 'param';
}

export interface IColumnChoice {
  params: string[];
  metrics: string[];
}

/**
 * The default columns for `runs` runs whose paths are `paths` (each with the number of those
 * runs that have it): parameters then metrics, each the most frequent first (ties by path),
 * only paths on at least `MIN_SHARE` of the runs, at most `maxParams` and `maxMetrics`.
 */
export function chooseColumns(
  paths: IFieldPath[],
  runs: number,
  maxParams = MAX_PARAMS,
  maxMetrics = MAX_METRICS
): IColumnChoice {
  const floor = Math.max(1, Math.ceil(runs * MIN_SHARE));
  const ranked = paths
    .filter(p => p.runs >= floor)
    .sort((a, b) => b.runs - a.runs || a.path.localeCompare(b.path));
  const params: string[] = [];
  const metrics: string[] = [];
  for (const p of ranked) {
    const kind = columnKind(p.path, p.type);
    if (kind === 'param' && params.length < maxParams) {
      params.push(p.path);
    } else if (kind === 'metric' && metrics.length < maxMetrics) {
      metrics.push(p.path);
    }
  }
  return { params, metrics };
}

/**
 * Columns for the column picker's hint, from paths that exist: the most frequent parameter
 * and the best of the most frequent series (`max(train/accuracy)`).
 */
export function exampleColumns(paths: IFieldPath[]): string[] {
  const { params } = chooseColumns(paths, 0, 1, 0);
  const series = [...paths]
    .filter(p => p.type === 'float_series' && columnKind(p.path, p.type))
    .sort((a, b) => b.runs - a.runs || a.path.localeCompare(b.path))[0];
  return [...params, ...(series ? [`max(${series.path})`] : [])];
}

/**
 * The model's `suggest` over `GET columns` (`list`: api.listColumnPaths): the parameters,
 * then the metrics, of the newest runs the query matches.
 */
export function suggestFrom(
  list: (q: {
    query?: string;
    project?: string | null;
  }) => Promise<{ items: IFieldPath[]; runs: number }>
): (q: { query: string; project: string | null }) => Promise<string[]> {
  return async q => {
    const answer = await list(q);
    const choice = chooseColumns(answer.items, answer.runs);
    return [...choice.params, ...choice.metrics];
  };
}
