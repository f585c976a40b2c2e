/**
 * The runs table's automatic columns: after the `sys/` ones, the parameters and the last
 * value of the metrics that the runs in view share. The rule is the server's
 * (jupyter_mltrack/query/columns.py: `GET columns` answers `suggested`), so the lab, `mltrack
 * runs` and `%mltrack runs` show the same columns; each path also comes with its `kind`
 * (parameter, metric or neither: jupyter_mltrack/query/paths.py), which the hints read.
 */
import { IColumnPaths, IFieldPath } from './api';

/** Paths ranked as the server ranks them: the most frequent first, ties by path. */
function ranked(paths: IFieldPath[]): IFieldPath[] {
  return [...paths].sort(
    (a, b) =>
      b.runs - a.runs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}

/**
 * Columns for the column picker's hint, from paths that exist: the most frequent parameter
 * and the best of the most frequent series (`max(train/accuracy)`).
 */
export function exampleColumns(paths: IFieldPath[]): string[] {
  const order = ranked(paths);
  const param = order.find(p => p.kind === 'param');
  const series = order.find(
    p => p.type === 'float_series' && p.kind === 'metric'
  );
  return [
    ...(param ? [param.path] : []),
    ...(series ? [`max(${series.path})`] : [])
  ];
}

/**
 * The model's `suggest` over `GET columns` (`list`: api.listColumnPaths): the parameters,
 * then the metrics, of the newest runs the query matches.
 */
export function suggestFrom(
  list: (q: {
    query?: string;
    project?: string | null;
  }) => Promise<Pick<IColumnPaths, 'suggested'>>
): (q: { query: string; project: string | null }) => Promise<string[]> {
  return async q => (await list(q)).suggested;
}
