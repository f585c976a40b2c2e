import { IRunDetail, IRunField } from '../../runs/api';
import { paramRows, visibleRows } from '../params';

function run(
  id: string,
  fields: Omit<IRunField, 'updated_at' | 'kind'>[]
): IRunDetail {
  return {
    id,
    sys: { 'sys/name': 'same', 'sys/owner': 'ann', 'sys/state': 'finished' },
    tags: [],
    fields: fields.map(f => ({ updated_at: 0, kind: null, ...f })),
    files: [],
    checkpoint: null,
    end_checkpoint: null,
    cells: []
  } as unknown as IRunDetail;
}

describe('paramRows', () => {
  it('lines up fields of N runs and flags the rows that differ', () => {
    const rows = paramRows([
      run('A-1', [
        { path: 'params/lr', type: 'float', value: 0.1 },
        { path: 'params/opt', type: 'string', value: 'adam' },
        { path: 'train/loss', type: 'float_series', last: 0.5 }
      ]),
      run('A-2', [
        { path: 'params/lr', type: 'float', value: 0.01 },
        { path: 'params/opt', type: 'string', value: 'adam' }
      ])
    ]);
    const byPath = new Map(rows.map(r => [r.path, r]));
    expect(byPath.get('params/lr')).toEqual({
      path: 'params/lr',
      values: ['0.1', '0.01'],
      different: true
    });
    expect(byPath.get('params/opt')?.different).toBe(false);
    expect(byPath.get('last(train/loss)')?.values).toEqual(['0.5', '']);
    expect(byPath.get('sys/name')?.different).toBe(false);
    expect(rows[0].path).toBe('sys/name');
  });
});

describe('visibleRows ("Differences only")', () => {
  const rows = paramRows([
    run('A-1', [
      { path: 'params/lr', type: 'float', value: 0.1 },
      { path: 'params/epochs', type: 'int', value: 20 },
      { path: 'params/seed', type: 'int', value: 1 }
    ]),
    run('A-2', [
      { path: 'params/lr', type: 'float', value: 0.01 },
      { path: 'params/epochs', type: 'int', value: 20 }
    ])
  ]);

  it('hides the rows where every run agrees, keeps a field only some runs have', () => {
    const shown = visibleRows(rows, true).map(r => r.path);
    expect(shown).toContain('params/lr');
    expect(shown).toContain('params/seed');
    expect(shown).not.toContain('params/epochs');
    expect(shown).not.toContain('sys/name');
  });

  it('keeps every row when off', () => {
    expect(visibleRows(rows, false)).toEqual(rows);
  });
});
