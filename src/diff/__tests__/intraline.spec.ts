import type { IDiffEntry as NbdimeDiffEntry } from 'nbdime/lib/diff/diffentries';
import { patchStringified } from 'nbdime/lib/patch/stringified';

import { IDiffEntry } from '../filter';
import {
  charDiff,
  lineChange,
  refineCellDiff,
  refineLineDiff,
  refineNotebookDiff,
  splitLines
} from '../intraline';
import { cellsDiff, newCount, patch, replaceLines } from './diffs';

/** What nbdime's model makes of `diff` on `base`: the patched text and the marked text. */
function rendered(base: string, diff: IDiffEntry[]) {
  // What nbdime's string diff model is built from (`createPatchStringDiffModel`).
  const out = patchStringified(base, diff as unknown as NbdimeDiffEntry[]);
  return {
    remote: out.remote,
    added: out.additions.map(r => out.remote.slice(r.from, r.to)),
    removed: out.deletions.map(r => base.slice(r.from, r.to))
  };
}

describe('lineChange', () => {
  it('marks only the inserted character of 0.5 → 0.05', () => {
    const change = lineChange('lr = 0.5\n', 'lr = 0.05\n');
    expect(change.deleted).toEqual([]);
    expect(change.inserted).toEqual([[7, 8]]);
    expect(change.similarity).toBeGreaterThan(0.9);
  });

  it('marks a replaced value, not its line', () => {
    const change = lineChange('lr = 0.1', 'lr = 0.05');
    expect(change.deleted).toEqual([[7, 8]]);
    expect(change.inserted).toEqual([[7, 9]]);
  });

  it('marks each of several edits on one line', () => {
    const a = 'fit(x, epochs=10, lr=0.1)';
    const b = 'fit(x, epochs=20, lr=0.1, seed=1)';
    const change = lineChange(a, b);
    expect(change.deleted.map(([f, t]) => a.slice(f, t))).toEqual(['1']);
    expect(change.inserted.map(([f, t]) => b.slice(f, t))).toEqual([
      '2',
      ', seed=1'
    ]);
  });

  it('finds little in common between unrelated lines', () => {
    expect(
      lineChange('import numpy as np', 'print(model.summary())').similarity
    ).toBeLessThan(0.4);
  });
});

describe('charDiff', () => {
  it('patched by nbdime gives the new line, marking only the changes', () => {
    const a = 'model = fit(data, lr=0.5, epochs=3)\n';
    const b = 'model = fit(data, lr=0.05, epochs=30)\n';
    const out = rendered(a, [patch(0, charDiff(a, b))]);
    expect(out.remote).toBe(b);
    expect(out.added).toEqual(['0', '0']);
    expect(out.removed).toEqual([]);
  });

  it('puts an insertion before a removal at the same place', () => {
    const a = 'x = old_value\n';
    const b = 'x = new_value\n';
    const out = rendered(a, [patch(0, charDiff(a, b))]);
    expect(out.remote).toBe(b);
    expect(out.added).toEqual(['new']);
    expect(out.removed).toEqual(['old']);
  });
});

describe('refineLineDiff', () => {
  it('turns an edited line into a character patch nbdime renders', () => {
    const base = 'import torch\nlr = 0.5\nepochs = 10\n';
    const diff = replaceLines(1, 1, ['lr = 0.05\n']);
    const refined = refineLineDiff(base, diff);
    expect(refined).toEqual([
      patch(1, [{ op: 'addrange', key: 7, valuelist: '0' }])
    ]);
    const out = rendered(base, refined);
    expect(out.remote).toBe('import torch\nlr = 0.05\nepochs = 10\n');
    expect(out.added).toEqual(['0']);
    // Without the refinement nbdime marks the whole line.
    expect(rendered(base, diff).added).toEqual(['lr = 0.05\n']);
  });

  it('pairs edited lines in order and keeps new and removed lines whole', () => {
    const base = 'a = 1\nb = 2\nimport os\n';
    const diff = replaceLines(0, 3, [
      'a = 10\n',
      'print("hello world")\n',
      'b = 20\n'
    ]);
    const refined = refineLineDiff(base, diff);
    expect(refined.map(e => [e.op, e.key])).toEqual([
      ['patch', 0],
      ['addrange', 1],
      ['patch', 1],
      ['removerange', 2]
    ]);
    const out = rendered(base, refined);
    expect(out.remote).toBe('a = 10\nprint("hello world")\nb = 20\n');
    expect(out.added).toEqual(['0', 'print("hello world")\n', '0']);
    expect(out.removed).toEqual(['import os\n']);
  });

  it('leaves unrelated lines as a removal and an addition', () => {
    const base = 'import numpy as np\n';
    const diff = replaceLines(0, 1, ['print(model.summary())\n']);
    expect(refineLineDiff(base, diff)).toEqual(diff);
  });

  it('leaves a source with other line breaks as it came', () => {
    expect(splitLines('a\r\nb')).toBeNull();
    const diff = replaceLines(0, 1, ['a = 2\r\n']);
    expect(refineLineDiff('a = 1\r\n', diff)).toEqual(diff);
  });

  it('keeps the last line without its newline', () => {
    const base = 'x = 1\ny = 2';
    const diff = replaceLines(1, 1, ['y = 3']);
    const out = rendered(base, refineLineDiff(base, diff));
    expect(out.remote).toBe('x = 1\ny = 3');
    expect(out.added).toEqual(['3']);
  });
});

describe('refineNotebookDiff', () => {
  it('refines the source of modified cells only, without changing its input', () => {
    const base = {
      cells: [{ source: 'lr = 0.5\n' }, { source: ['a = 1\n', 'b = 2'] }]
    };
    const diff = cellsDiff(
      patch(0, [
        patch('source', replaceLines(0, 1, ['lr = 0.05\n'])),
        newCount(3)
      ]),
      patch(1, [patch('source', replaceLines(1, 1, ['b = 3']))])
    );
    const copy = JSON.parse(JSON.stringify(diff));
    const refined = refineNotebookDiff(base, diff);
    expect(diff).toEqual(copy);
    const cells = refined[0].diff!;
    expect(cells[0].diff![0].diff![0].op).toBe('patch');
    expect(cells[0].diff![1]).toEqual(copy[0].diff[0].diff[1]);
    expect(cells[1].diff![0].diff).toEqual([
      patch(1, [
        { op: 'addrange', key: 4, valuelist: '3' },
        { op: 'removerange', key: 4, length: 1 }
      ])
    ]);
    expect(refineCellDiff({}, cells[0].diff!)).toEqual(cells[0].diff);
  });
});
