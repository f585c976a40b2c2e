import { changesText } from '../item';
import { ICheckpoint } from '../../tokens';

function entry(changes: ICheckpoint['changes']): ICheckpoint {
  return {
    id: 'c1',
    notebook_path: 'train.ipynb',
    captured_path: 'train.ipynb',
    notebook_deleted: false,
    seq: 2,
    parent_id: 'c0',
    validation_warning: null,
    created_at: 0,
    name: '',
    description: '',
    trigger: 'manual',
    author: 'ada',
    size: 10,
    changes,
    runs: []
  };
}

describe('changesText', () => {
  it('says a moved cell is moved, as the diff counts it', () => {
    expect(
      changesText(entry({ added: 0, removed: 0, modified: 0, moved: 1 }))
    ).toBe('+0 −0 ~0 cells, 1 moved');
  });

  it('keeps the short form when nothing moved (older servers send no moved)', () => {
    expect(changesText(entry({ added: 1, removed: 0, modified: 2 }))).toBe(
      '+1 −0 ~2 cells'
    );
    expect(
      changesText(entry({ added: 0, removed: 0, modified: 0, moved: 0 }))
    ).toBe('no cell changed');
  });
});
