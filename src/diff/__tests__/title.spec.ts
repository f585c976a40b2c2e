import { nullTranslator } from '@jupyterlab/translation';

import { diffTitle, shortTime, sideLabel, ITitleEntry } from '../title';
import { CURRENT } from '../../tokens';

const NOW = new Date(2026, 11, 5, 15, 30).getTime();
const at = (h: number, m: number, day = 5) =>
  new Date(2026, 11, day, h, m).getTime() / 1000;

function entry(fields: Partial<ITitleEntry>): ITitleEntry {
  return {
    id: 'aaaaaaaa-1111',
    name: '',
    trigger: 'save',
    created_at: at(14, 2),
    notebook_path: 'work/demo.ipynb',
    ...fields
  };
}

describe('diff tab titles', () => {
  it('names the notebook and both checkpoints', () => {
    const base = entry({ id: 'a', name: 'baseline' });
    const remote = entry({ id: 'b', name: 'lr 0.05' });
    expect(
      diffTitle({ id: 'a', entry: base }, { id: 'b', entry: remote })
    ).toBe('demo.ipynb: baseline → lr 0.05');
  });

  it('says trigger and time for an unnamed checkpoint, "current" for the file', () => {
    const run = entry({ id: 'r', trigger: 'run', created_at: at(14, 2) });
    expect(sideLabel('r', run, undefined, NOW)).toBe(
      `run at ${shortTime(at(14, 2), NOW)}`
    );
    expect(shortTime(at(14, 2), NOW)).toMatch(/14:02|2:02/);
    expect(shortTime(at(14, 2, 3), NOW)).toMatch(/Dec/);
    expect(
      diffTitle(
        { id: 'r', entry: run },
        { id: CURRENT, entry: null },
        undefined,
        nullTranslator.load('jupyter_mltrack'),
        NOW
      )
    ).toBe(`demo.ipynb: run at ${shortTime(at(14, 2), NOW)} → current`);
  });

  it('names each notebook when they differ, and falls back to short ids', () => {
    const a = entry({ id: 'a', name: 'one' });
    const b = entry({ id: 'b', name: 'two', notebook_path: 'other.ipynb' });
    expect(diffTitle({ id: 'a', entry: a }, { id: 'b', entry: b })).toBe(
      'demo.ipynb: one → other.ipynb: two'
    );
    expect(
      diffTitle(
        { id: '0123456789', entry: null },
        { id: 'abcdefghij', entry: null }
      )
    ).toBe('01234567 → abcdefgh');
  });
});
