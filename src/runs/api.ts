/**
 * The runs endpoints of the REST API (docs/query.md): the table, one run, its series
 * downsampled by the server, its files, the field paths, and abort.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, requestAPI } from '../api';
import { components } from '../generated/api';

type Schemas = components['schemas'];

/** A value of a run: numbers, strings, tag lists, file metadata, or nothing. */
export type CellValue = Schemas['CellValue'];

/** One row of `GET runs`: column name (`sys/id`, `params/lr`, `max(val/acc)`) to value. */
export type RunRow = Schemas['RunRow'];

/** `GET runs`. */
export type IRunsPage = Schemas['RunsTable'];

export interface IRunsQuery {
  query?: string;
  /** Extra columns besides the default ones. */
  columns?: string[];
  /** Comma-separated keys, `-` for descending. */
  sort?: string;
  limit?: number;
  offset?: number;
  /** The `next_cursor` of the page before (instead of an offset): the page after it. */
  cursor?: string;
  project?: string | null;
}

/** `GET fields`: a field path, its type and how many runs have it. */
export type IFieldPath = Schemas['FieldPath'];

/** One field of `GET runs/<id>`. */
export type IRunField = Schemas['RunField'];

/** Per-cell timings of a notebook run (run-context issue). */
export type ICellTiming = Schemas['CellTiming'];

/** `GET runs/<id>`: `checkpoint` and `end_checkpoint` are entries as `GET checkpoints` lists them. */
export type IRunDetail = Schemas['RunDetail'];

/** `GET runs/<id>/series`. */
export type ISeries = Schemas['Series'];

/** `POST runs/<id>/abort`. */
export type IAbortResult = Schemas['AbortResult'];

export interface ISeriesQuery {
  maxPoints?: number;
  x?: 'step' | 'time';
  afterStep?: number | null;
}

/** Series types whose points a chart draws. */
export const FLOAT_SERIES = 'float_series';

function query(params: Record<string, string | number | null | undefined>) {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      clean[key] = String(value);
    }
  }
  return URLExt.objectToQueryString(clean);
}

function runPath(id: string): string {
  return 'runs/' + encodeURIComponent(id);
}

export function listRuns(q: IRunsQuery): Promise<IRunsPage> {
  return requestAPI<IRunsPage>(
    'runs' +
      query({
        query: q.query,
        columns: q.columns?.length ? q.columns.join(',') : undefined,
        sort: q.sort,
        limit: q.limit,
        offset: q.offset,
        cursor: q.cursor,
        project: q.project
      }),
    { method: 'GET' }
  );
}

export async function listFieldPaths(
  project?: string | null
): Promise<IFieldPath[]> {
  const body = await requestAPI<Schemas['FieldPaths']>(
    'fields' + query({ project }),
    { method: 'GET' }
  );
  return body.items;
}

/** `GET columns`: the paths of the newest runs a query matches, most frequent first. */
export type IColumnPaths = Schemas['ColumnPaths'];

export function listColumnPaths(q: {
  query?: string;
  project?: string | null;
  sample?: number;
}): Promise<IColumnPaths> {
  return requestAPI<IColumnPaths>(
    'columns' + query({ query: q.query, project: q.project, sample: q.sample }),
    { method: 'GET' }
  );
}

export function getRun(id: string): Promise<IRunDetail> {
  return requestAPI<IRunDetail>(runPath(id), { method: 'GET' });
}

export function getSeries(
  id: string,
  field: string,
  q: ISeriesQuery = {}
): Promise<ISeries> {
  return requestAPI<ISeries>(
    runPath(id) +
      '/series' +
      query({
        field,
        max_points: q.maxPoints,
        x: q.x,
        after_step: q.afterStep
      }),
    { method: 'GET' }
  );
}

export function abortRun(id: string): Promise<IAbortResult> {
  return requestAPI<IAbortResult>(runPath(id) + '/abort', {
    method: 'POST',
    body: '{}'
  });
}

/**
 * URL of a file field's bytes (an `<img>` source or a download link). The server serves them
 * with `nosniff` and a sandboxing CSP; the token rides in the query as for other lab files.
 */
export function fileURL(
  id: string,
  path: string,
  opts: { index?: number; member?: string; download?: boolean } = {}
): string {
  const settings = ServerConnection.makeSettings();
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const params: Record<string, string | number | undefined> = {
    index: opts.index,
    member: opts.member,
    download: opts.download ? '1' : undefined
  };
  if (settings.token) {
    params.token = settings.token;
  }
  return (
    URLExt.join(
      settings.baseUrl,
      API_NAMESPACE,
      runPath(id),
      'files',
      encoded
    ) + query(params)
  );
}
