/**
 * The `sys/` fields of a run as the lab knows them: read from `generated/sysfields.json`,
 * which `jlpm gen:sysfields` writes from the Python registry (jupyter_mltrack/sysfields.py);
 * tests/test_sysfields.py fails when it is stale. Nothing here lists a sys path by hand.
 */
import registry from './generated/sysfields.json';

export type SysType =
  'string' | 'state' | 'bool' | 'time' | 'duration' | 'string_set';

export interface ISysField {
  path: string;
  type: SysType;
  /** The runs table's header (translated where shown); null: the path. */
  label: string | null;
  /** A column every runs table has. */
  default: boolean;
  /** Among the facts of one run (the run view's header). */
  summary: boolean;
  /** A row compare lines runs up on. */
  compared: boolean;
  writable: boolean;
  /** Another spelling of that field: accepted, never listed. */
  aliasOf: string | null;
  /** The grid's column width in pixels. */
  width: number | null;
}

/** Every sys field, in the order of every listing. */
export const SYS_FIELDS: readonly ISysField[] =
  registry.fields as readonly ISysField[];

const BY_PATH = new Map(SYS_FIELDS.map(f => [f.path, f]));

/** The fields listed (completion, run facts): aliases left out. */
export const LISTED_SYS_FIELDS = SYS_FIELDS.filter(f => f.aliasOf === null);

/** Columns every runs table has (the server always returns them), in order. */
export const DEFAULT_COLUMNS: readonly string[] = registry.defaultColumns;

/** The one default column that is not a sys field: the run's notebook checkpoint. */
export const NOTEBOOK_COLUMN: string = registry.notebookColumn;

/** Newest first, as the server sorts without a sort. */
export const DEFAULT_SORT: string = registry.defaultSort;

/** The sys field at `path`, if it is one. */
export function sysField(path: string): ISysField | undefined {
  return BY_PATH.get(path);
}
