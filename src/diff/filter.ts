/**
 * Diff filters of the viewer's toggles, as pure functions over nbdime's diff format, so the
 * rendered model simply never sees what is hidden (and jest can check each rule).
 *
 * A notebook diff is a list of entries; `{op: 'patch', key: 'cells', diff}` holds one entry
 * per changed cell: `patch` (modified, keyed by base index) with sub-entries per cell key
 * (`source`, `outputs`, `execution_count`, `metadata`…), or `addrange` / `removerange`.
 */

import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';

/** One nbdime diff entry; only the fields the filters read are typed. */
export interface IDiffEntry {
  op: string;
  key: string | number;
  diff?: IDiffEntry[] | null;
  [extra: string]: unknown;
}

export interface IDiffFilters {
  /** Drop output changes (outputs are also hidden from view by the diff view). */
  hideOutputs: boolean;
  /** Drop cells whose only change is the execution count. */
  hideExecutionCount: boolean;
  /** Drop cells whose only change is metadata, and the notebook's metadata change. */
  hideMetadata: boolean;
}

export const NO_FILTERS: IDiffFilters = {
  hideOutputs: false,
  hideExecutionCount: false,
  hideMetadata: false
};

/** The diff with what `filters` hides taken out; the input is not modified. */
export function filterDiff(
  diff: readonly IDiffEntry[],
  filters: IDiffFilters
): IDiffEntry[] {
  const result: IDiffEntry[] = [];
  for (const entry of diff) {
    if (entry.key === 'metadata' && filters.hideMetadata) {
      continue;
    }
    if (entry.key === 'cells' && entry.op === 'patch' && entry.diff) {
      const cells = filterCells(entry.diff, filters);
      if (cells.length) {
        result.push({ ...entry, diff: cells });
      }
      continue;
    }
    result.push(entry);
  }
  return result;
}

function filterCells(
  cells: readonly IDiffEntry[],
  filters: IDiffFilters
): IDiffEntry[] {
  const ignorable = new Set<string>();
  if (filters.hideExecutionCount) {
    ignorable.add('execution_count');
  }
  if (filters.hideMetadata) {
    ignorable.add('metadata');
  }
  const result: IDiffEntry[] = [];
  for (const cell of cells) {
    if (cell.op !== 'patch' || !cell.diff) {
      result.push(cell);
      continue;
    }
    const parts = filters.hideOutputs
      ? cell.diff.filter(part => part.key !== 'outputs')
      : cell.diff;
    const onlyIgnorable = parts.every(part => ignorable.has(String(part.key)));
    if (parts.length === 0 || onlyIgnorable) {
      continue;
    }
    result.push(parts === cell.diff ? cell : { ...cell, diff: parts });
  }
  return result;
}

/** How many cells the diff adds, removes and modifies, and whether notebook metadata changed. */
export function countChanges(diff: readonly IDiffEntry[]): {
  added: number;
  removed: number;
  modified: number;
  metadata: boolean;
} {
  const counts = { added: 0, removed: 0, modified: 0, metadata: false };
  for (const entry of diff) {
    if (entry.key === 'metadata') {
      counts.metadata = true;
    }
    if (entry.key !== 'cells' || !entry.diff) {
      continue;
    }
    for (const cell of entry.diff) {
      if (cell.op === 'patch') {
        counts.modified += 1;
      } else if (cell.op === 'addrange') {
        counts.added += ((cell.valuelist as unknown[]) ?? []).length;
      } else if (cell.op === 'removerange') {
        counts.removed += Number(cell.length ?? 0);
      }
    }
  }
  return counts;
}

/** One line for the header: "2 added, 1 removed, 5 modified, 1 moved cells; notebook
 * metadata changed" (`moved`: see moves.ts `withMoves`). */
export function describeChanges(
  counts: ReturnType<typeof countChanges> & { moved?: number },
  trans: TranslationBundle = defaultTrans()
): string {
  const parts: string[] = [];
  if (counts.added) {
    parts.push(trans.__('%1 added', counts.added));
  }
  if (counts.removed) {
    parts.push(trans.__('%1 removed', counts.removed));
  }
  if (counts.modified) {
    parts.push(trans.__('%1 modified', counts.modified));
  }
  if (counts.moved) {
    parts.push(trans.__('%1 moved', counts.moved));
  }
  let text = parts.length
    ? trans.__('%1 cells', parts.join(', '))
    : trans.__('No cell changed');
  if (counts.metadata) {
    text += trans.__('; notebook metadata changed');
  }
  return text;
}

/**
 * Group a sequence into runs: consecutive items for which `collapsible` holds form one
 * group, every other item is a group of its own. Used to fold unchanged cells.
 */
export function groupRuns<T>(
  items: readonly T[],
  collapsible: (item: T) => boolean
): { collapsed: boolean; items: T[] }[] {
  const groups: { collapsed: boolean; items: T[] }[] = [];
  for (const item of items) {
    const fold = collapsible(item);
    const last = groups[groups.length - 1];
    if (fold && last?.collapsed) {
      last.items.push(item);
    } else {
      groups.push({ collapsed: fold, items: [item] });
    }
  }
  return groups;
}
