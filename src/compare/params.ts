/**
 * The parameters table of compare: one row per scalar field any of the runs has (plus the
 * last value of each float series), one column per run, and whether the values differ.
 */
import { IRunDetail } from '../runs/api';
import { LISTED_SYS_FIELDS } from '../sysfields';
import { formatValue } from '../runs/format';

export interface IParamRow {
  path: string;
  /** Text per run ('' where the run lacks the field). */
  values: string[];
  different: boolean;
}

const SCALARS = new Set([
  'float',
  'int',
  'bool',
  'string',
  'datetime',
  'string_set'
]);
const SYS_ROWS = LISTED_SYS_FIELDS.filter(f => f.compared).map(f => f.path);

export function paramRows(runs: IRunDetail[]): IParamRow[] {
  const table = new Map<string, string[]>();
  const put = (path: string, index: number, text: string): void => {
    let row = table.get(path);
    if (!row) {
      row = runs.map(() => '');
      table.set(path, row);
    }
    row[index] = text;
  };
  runs.forEach((run, i) => {
    for (const path of SYS_ROWS) {
      put(path, i, formatValue(run.sys[path]));
    }
    for (const field of run.fields) {
      if (SCALARS.has(field.type)) {
        put(field.path, i, formatValue(field.value));
      } else if (field.type === 'float_series') {
        put(`last(${field.path})`, i, formatValue(field.last));
      }
    }
  });
  const rows = [...table.entries()].map(([path, values]) => ({
    path,
    values,
    different: new Set(values).size > 1
  }));
  const sys = rows.filter(r => r.path.startsWith('sys/'));
  const rest = rows
    .filter(r => !r.path.startsWith('sys/'))
    .sort((a, b) => a.path.localeCompare(b.path));
  return [...sys, ...rest];
}

/**
 * The rows "Differences only" keeps: those where some run's value differs from another's
 * (a field only some runs have counts as different), or every row when `only` is off.
 */
export function visibleRows(rows: IParamRow[], only: boolean): IParamRow[] {
  return only ? rows.filter(r => r.different) : rows;
}
