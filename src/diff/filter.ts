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

/** What a diff tab hides until the user says otherwise (schema/plugin.json `diff*`): a
 * count or metadata change alone is noise, not a change to read. */
export const DEFAULT_FILTERS: IDiffFilters = {
  hideOutputs: false,
  hideExecutionCount: true,
  hideMetadata: true
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

/** What a diff changes, counted for the summary line. */
export interface IChangeCounts {
  added: number;
  removed: number;
  /** Cells patched in any way (what the server calls modified). */
  modified: number;
  /** Patched cells with a change other than their outputs: source, metadata, or a count
   * where the toggles show them (a count changed with the outputs goes with them). */
  changed: number;
  /** Patched cells whose outputs changed. */
  outputs: number;
  /** Cells moved (see moves.ts `withMoves`). */
  moved?: number;
  /** The notebook's own metadata changed. */
  metadata: boolean;
}

/** The counts of a diff already filtered with `filters` (which say what is not a change). */
export function countChanges(
  diff: readonly IDiffEntry[],
  filters: IDiffFilters = NO_FILTERS
): IChangeCounts {
  const counts: IChangeCounts = {
    added: 0,
    removed: 0,
    modified: 0,
    changed: 0,
    outputs: 0,
    metadata: false
  };
  const ignorable = new Set(['outputs']);
  if (filters.hideExecutionCount) {
    ignorable.add('execution_count');
  }
  if (filters.hideMetadata) {
    ignorable.add('metadata');
  }
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
        const parts = (cell.diff ?? []).map(part => String(part.key));
        const outputs = parts.includes('outputs');
        // A new count beside new outputs is the same rerun: counted with the outputs.
        const others = parts.filter(
          part =>
            !ignorable.has(part) && !(outputs && part === 'execution_count')
        );
        if (others.length) {
          counts.changed += 1;
        }
        if (outputs) {
          counts.outputs += 1;
        }
      } else if (cell.op === 'addrange') {
        counts.added += ((cell.valuelist as unknown[]) ?? []).length;
      } else if (cell.op === 'removerange') {
        counts.removed += Number(cell.length ?? 0);
      }
    }
  }
  return counts;
}

/**
 * The one-line summary on top of a diff: "3 cells changed, 1 added, 1 moved, 2 outputs
 * changed; notebook metadata changed". The first count about cells names them; the
 * counts after it do not.
 */
export function describeChanges(
  counts: Pick<IChangeCounts, 'added' | 'removed' | 'metadata'> &
    Partial<IChangeCounts>,
  trans: TranslationBundle = defaultTrans()
): string {
  const parts: string[] = [];
  const cellCount = (
    n: number | undefined,
    named: (n: number) => string,
    bare: (n: number) => string
  ): void => {
    if (n) {
      parts.push(parts.length ? bare(n) : named(n));
    }
  };
  cellCount(
    counts.changed ?? counts.modified,
    n => trans._n('%1 cell changed', '%1 cells changed', n),
    n => trans.__('%1 changed', n)
  );
  cellCount(
    counts.added,
    n => trans._n('%1 cell added', '%1 cells added', n),
    n => trans.__('%1 added', n)
  );
  cellCount(
    counts.removed,
    n => trans._n('%1 cell removed', '%1 cells removed', n),
    n => trans.__('%1 removed', n)
  );
  cellCount(
    counts.moved,
    n => trans._n('%1 cell moved', '%1 cells moved', n),
    n => trans.__('%1 moved', n)
  );
  if (counts.outputs) {
    parts.push(
      trans._n('%1 output changed', '%1 outputs changed', counts.outputs)
    );
  }
  let text = parts.length ? parts.join(', ') : trans.__('No cell changed');
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
