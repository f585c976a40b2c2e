import {
  countChanges,
  DEFAULT_FILTERS,
  describeChanges,
  filterDiff,
  groupRuns,
  IDiffEntry,
  NO_FILTERS
} from '../filter';
import { cellsDiff, newCount, patch } from './diffs';

/** An nbdime notebook diff: cell 0 changed its source and count, 1 only its count, 2 only
 * its metadata, 3 only its outputs; one cell added and two removed; notebook metadata. */
const DIFF: IDiffEntry[] = [
  ...cellsDiff(
    patch(0, [patch('source'), newCount(2)]),
    patch(1, [newCount(3)]),
    patch(2, [patch('metadata')]),
    patch(3, [patch('outputs')]),
    { op: 'addrange', key: 4, valuelist: [{ cell_type: 'code' }] },
    { op: 'removerange', key: 5, length: 2 }
  ),
  patch('metadata')
];

function cellKeys(diff: IDiffEntry[]): (string | number)[] {
  const cells = diff.find(e => e.key === 'cells');
  return (cells?.diff ?? []).map(c => c.key);
}

describe('filterDiff', () => {
  it('keeps everything without filters', () => {
    expect(filterDiff(DIFF, NO_FILTERS)).toEqual(DIFF);
  });

  it('drops cells whose only change is the execution count', () => {
    const out = filterDiff(DIFF, { ...NO_FILTERS, hideExecutionCount: true });
    expect(cellKeys(out)).toEqual([0, 2, 3, 4, 5]);
    // A cell with a real change keeps its count change beside it.
    expect(out[0].diff![0].diff).toHaveLength(2);
  });

  it('drops metadata-only cells and the notebook metadata change', () => {
    const out = filterDiff(DIFF, { ...NO_FILTERS, hideMetadata: true });
    expect(cellKeys(out)).toEqual([0, 1, 3, 4, 5]);
    expect(out.some(e => e.key === 'metadata')).toBe(false);
  });

  it('drops output changes, and cells left with nothing else', () => {
    const out = filterDiff(DIFF, { ...NO_FILTERS, hideOutputs: true });
    expect(cellKeys(out)).toEqual([0, 1, 2, 4, 5]);
  });

  it('drops a cell whose changes are all hidden by the combination', () => {
    const diff = cellsDiff(
      patch(0, [newCount(2), patch('metadata'), patch('outputs')])
    );
    const all = {
      hideOutputs: true,
      hideExecutionCount: true,
      hideMetadata: true
    };
    expect(filterDiff(diff, all)).toEqual([]);
    expect(filterDiff(diff, { ...all, hideMetadata: false })).toHaveLength(1);
  });

  it('does not modify its input', () => {
    const before = JSON.stringify(DIFF);
    filterDiff(DIFF, {
      hideOutputs: true,
      hideExecutionCount: true,
      hideMetadata: true
    });
    expect(JSON.stringify(DIFF)).toBe(before);
  });
});

describe('countChanges and describeChanges', () => {
  it('counts added, removed, changed cells and changed outputs', () => {
    const counts = countChanges(DIFF);
    expect(counts).toEqual({
      added: 1,
      removed: 2,
      modified: 4,
      changed: 3,
      outputs: 1,
      metadata: true
    });
    expect(describeChanges(counts)).toBe(
      '3 cells changed, 1 added, 2 removed, 1 output changed; notebook metadata changed'
    );
  });

  it('with the default filters, count-only and metadata-only cells are not counted', () => {
    const counts = countChanges(
      filterDiff(DIFF, DEFAULT_FILTERS),
      DEFAULT_FILTERS
    );
    expect(counts).toMatchObject({ modified: 2, changed: 1, outputs: 1 });
    expect(counts.metadata).toBe(false);
    expect(describeChanges(counts)).toBe(
      '1 cell changed, 1 added, 2 removed, 1 output changed'
    );
  });

  it('counts a new count beside new outputs with the outputs, not as a changed cell', () => {
    const rerun = cellsDiff(patch(0, [newCount(5), patch('outputs')]));
    expect(countChanges(rerun)).toMatchObject({ changed: 0, outputs: 1 });
    expect(describeChanges(countChanges(rerun))).toBe('1 output changed');
  });

  it('names cells in the first count only, moves included', () => {
    expect(
      describeChanges({
        added: 0,
        removed: 0,
        changed: 3,
        moved: 1,
        outputs: 2,
        metadata: false
      })
    ).toBe('3 cells changed, 1 moved, 2 outputs changed');
    expect(
      describeChanges({ added: 0, removed: 1, moved: 2, metadata: false })
    ).toBe('1 cell removed, 2 moved');
  });

  it('says when nothing changed', () => {
    expect(describeChanges(countChanges([]))).toBe('No cell changed');
  });
});

describe('groupRuns', () => {
  it('folds consecutive foldable items and keeps the rest one by one', () => {
    const groups = groupRuns([1, 1, 2, 1, 2, 2, 1, 1, 1], n => n === 1);
    expect(groups).toEqual([
      { collapsed: true, items: [1, 1] },
      { collapsed: false, items: [2] },
      { collapsed: true, items: [1] },
      { collapsed: false, items: [2] },
      { collapsed: false, items: [2] },
      { collapsed: true, items: [1, 1, 1] }
    ]);
  });
});
