import * as nbformat from '@jupyterlab/nbformat';
import {
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import type { IDiffEntry as NbdimeDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';

import { IDiffMove } from '../../tokens';
import { countChanges, describeChanges, NO_FILTERS } from '../filter';
import { FoldedNotebookDiff } from '../folded';
import { filterMove, planMoves, withMoves } from '../moves';
import { cellsDiff, patch, replaceLines } from './diffs';

const cell = (source: string): nbformat.ICodeCell => ({
  cell_type: 'code',
  source,
  metadata: {},
  outputs: [],
  execution_count: null
});

/** Base: a b c d e. Remote: d' a b c e — d moved to the top and edited; as the server's
 * diff encodes it: d' inserted at 0, d removed at 3, and summary.moved {3 -> 0}. */
const BASE: nbformat.INotebookContent = {
  cells: ['a = 1', 'b = 2', 'c = 3', 'd = 4', 'e = 5'].map(cell),
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5
};
const SOURCE_EDIT = replaceLines(0, 1, ['d = 40']);
const DIFF = cellsDiff(
  { op: 'addrange', key: 0, valuelist: [cell('d = 40')] },
  { op: 'removerange', key: 3, length: 1 }
);
const MOVE: IDiffMove = {
  base: 3,
  remote: 0,
  edited: true,
  parts: ['source'],
  diff: [patch('source', SOURCE_EDIT)]
};

describe('planMoves', () => {
  it('pairs the inserted and removed halves of each move by index', () => {
    const model = new NotebookDiffModel(
      BASE,
      DIFF as unknown as NbdimeDiffEntry[]
    );
    const plan = planMoves(model.cells, [MOVE]);
    const added = model.cells.find(c => c.added)!;
    const removed = model.cells.find(c => c.deleted)!;
    expect(plan.moves.get(added)).toBe(MOVE);
    expect([...plan.hidden]).toEqual([removed]);
  });

  it('counts base and remote indices past added, removed and kept cells', () => {
    // Cells: kept(0,0) added(-,1) removed(1,-) kept(2,2) removed(3,-) added(-,3)
    const cells = [
      { added: false, deleted: false, name: 'k0' },
      { added: true, deleted: false, name: 'a1' },
      { added: false, deleted: true, name: 'r1' },
      { added: false, deleted: false, name: 'k2' },
      { added: false, deleted: true, name: 'r3' },
      { added: true, deleted: false, name: 'a3' }
    ];
    const move = (base: number, remote: number): IDiffMove => ({
      base,
      remote,
      edited: false,
      parts: [],
      diff: []
    });
    const plan = planMoves(cells, [move(3, 1), move(1, 3)]);
    expect([...plan.hidden].map(c => c.name)).toEqual(['r3', 'r1']);
    expect([...plan.moves].map(([c, m]) => [c.name, m.base])).toEqual([
      ['a1', 3],
      ['a3', 1]
    ]);
  });

  it('leaves out a move whose halves are not a removal and an insertion', () => {
    const cells = [
      { added: false, deleted: false },
      { added: true, deleted: false }
    ];
    const plan = planMoves(cells, [
      { base: 0, remote: 1, edited: false, parts: [], diff: [] }
    ]);
    expect(plan.hidden.size).toBe(0);
    expect(plan.moves.size).toBe(0);
  });
});

describe('moves in the counts and filters', () => {
  it('takes moves out of added and removed cells', () => {
    const counts = withMoves(countChanges(DIFF), 1);
    expect(counts).toEqual({
      added: 0,
      removed: 0,
      modified: 0,
      changed: 0,
      outputs: 0,
      moved: 1,
      metadata: false
    });
    expect(describeChanges(counts)).toBe('1 cell moved');
  });

  it('shows a move edited only where the filters hide as unedited', () => {
    const outputsOnly: IDiffMove = {
      ...MOVE,
      parts: ['outputs'],
      diff: [patch('outputs')]
    };
    const hidden = filterMove(outputsOnly, {
      ...NO_FILTERS,
      hideOutputs: true
    });
    expect(hidden).toEqual({
      ...outputsOnly,
      edited: false,
      parts: [],
      diff: []
    });
    expect(filterMove(MOVE, { ...NO_FILTERS, hideOutputs: true })).toEqual(
      MOVE
    );
  });
});

describe('FoldedNotebookDiff with moves', () => {
  it('draws a moved cell once, at its new place, marked "Moved from #i"', async () => {
    const model = new NotebookDiffModel(
      BASE,
      DIFF as unknown as NbdimeDiffEntry[]
    );
    const view = new FoldedNotebookDiff({
      model,
      rendermime: new RenderMimeRegistry({
        initialFactories: standardRendererFactories
      }),
      fold: true,
      moves: { moved: [MOVE], base: BASE }
    });
    await view.init();
    const node = view.node;
    const markers = node.querySelectorAll('.jp-mltrack-moved-marker');
    expect(Array.from(markers, m => m.textContent)).toEqual([
      'Moved from #4 and edited'
    ]);
    // Nothing drawn as removed or added: the move is the only change, first in the view,
    // and the unchanged cells around the left-out removal fold into one row.
    expect(node.querySelector('.jp-Diff-addremchunk')).toBeNull();
    expect(node.firstElementChild?.classList).toContain('jp-mltrack-moved');
    expect(node.querySelector('.jp-mltrack-folded')?.textContent).toBe(
      '4 unchanged cells'
    );
    view.dispose();
  });

  it('without moves, the same diff is a removal and an insertion', async () => {
    const view = new FoldedNotebookDiff({
      model: new NotebookDiffModel(BASE, DIFF as unknown as NbdimeDiffEntry[]),
      rendermime: new RenderMimeRegistry({
        initialFactories: standardRendererFactories
      }),
      fold: true
    });
    await view.init();
    expect(view.node.querySelectorAll('.jp-Diff-addremchunk').length).toBe(2);
    expect(view.node.querySelector('.jp-mltrack-moved')).toBeNull();
    view.dispose();
  });
});
