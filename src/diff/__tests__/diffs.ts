/**
 * Builders of nbdime diff entries for the diff specs (filter, intraline, moves), so that a
 * fixture reads as the change it stands for. Not a spec: jest's testRegex runs only
 * `__tests__/*.spec.ts`.
 */
import { IDiffEntry } from '../filter';

/** A patch of `key` (a cell index, or a field such as 'source') by `diff`. */
export function patch(
  key: string | number,
  diff: IDiffEntry[] = []
): IDiffEntry {
  return { op: 'patch', key, diff };
}

/** A notebook diff whose cell list changed by `cells` (cell patches, added, removed). */
export function cellsDiff(...cells: IDiffEntry[]): IDiffEntry[] {
  return [patch('cells', cells)];
}

/** A cell's new execution count. */
export function newCount(value: number): IDiffEntry {
  return { op: 'replace', key: 'execution_count', value };
}

/** The server's whole-line diff when `count` lines at `at` became `lines`. */
export function replaceLines(
  at: number,
  count: number,
  lines: string[]
): IDiffEntry[] {
  return [
    { op: 'addrange', key: at, valuelist: lines },
    { op: 'removerange', key: at, length: count }
  ];
}
