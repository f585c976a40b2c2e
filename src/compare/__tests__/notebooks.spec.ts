import { IRunDetail } from '../../runs/api';
import { ICheckpoint } from '../../tokens';
import { notebookSides } from '../notebooks';

function cp(id: string, created: number): ICheckpoint {
  return { id, created_at: created } as unknown as ICheckpoint;
}

function run(
  id: string,
  start: ICheckpoint | null,
  end: ICheckpoint | null
): IRunDetail {
  return {
    id,
    sys: {},
    tags: [],
    fields: [],
    files: [],
    checkpoint: start,
    end_checkpoint: end,
    cells: []
  } as unknown as IRunDetail;
}

describe('notebookSides', () => {
  const runs = [
    run('A-2', cp('s2', 20), cp('e2', 30)),
    run('A-1', cp('s1', 10), cp('e1', 15)),
    run('A-3', cp('s3', 40), null),
    run('A-4', null, null)
  ];

  it('takes the end checkpoints by default, else the start one, oldest first', () => {
    expect(
      notebookSides(runs, 'end').map(s => [s.runId, s.checkpoint.id, s.kind])
    ).toEqual([
      ['A-1', 'e1', 'end'],
      ['A-2', 'e2', 'end'],
      ['A-3', 's3', 'start']
    ]);
  });

  it('takes the start checkpoints when asked', () => {
    expect(notebookSides(runs, 'start').map(s => s.checkpoint.id)).toEqual([
      's1',
      's2',
      's3'
    ]);
  });
});
