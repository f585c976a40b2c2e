import { IFieldPath } from '../api';
import { chooseColumns, columnKind, exampleColumns } from '../columns';

/** The demo notebook's paths (examples/demo.ipynb) with how many of `runs` have each. */
function demo(runs: number): IFieldPath[] {
  return [
    { path: 'parameters/lr', type: 'float', runs },
    { path: 'parameters/epochs', type: 'int', runs },
    { path: 'parameters/l2', type: 'float', runs },
    { path: 'train/loss', type: 'float_series', runs },
    { path: 'train/accuracy', type: 'float_series', runs },
    { path: 'metrics/test_accuracy', type: 'float', runs },
    { path: 'source_code/notebook', type: 'string', runs },
    { path: 'monitoring/cpu', type: 'float_series', runs },
    { path: 'sys/tags', type: 'string_set', runs },
    { path: 'images/samples', type: 'file_series', runs }
  ];
}

describe('default columns', () => {
  it('tells parameters from metrics by path and type', () => {
    expect(columnKind('parameters/lr', 'float')).toBe('param');
    expect(columnKind('params/optimizer', 'string')).toBe('param');
    expect(columnKind('data/version', 'string')).toBe('param');
    expect(columnKind('metrics/test_accuracy', 'float')).toBe('metric');
    expect(columnKind('val/acc', 'float_series')).toBe('metric');
    expect(columnKind('loss', 'float_series')).toBe('metric');
    expect(columnKind('monitoring/cpu', 'float_series')).toBeNull();
    expect(columnKind('source_code/notebook', 'string')).toBeNull();
    expect(columnKind('images/samples', 'file_series')).toBeNull();
    expect(columnKind('sys/tags', 'string_set')).toBeNull();
  });

  it("picks the demo's parameters and metrics, never the library's own paths", () => {
    expect(chooseColumns(demo(3), 3)).toEqual({
      params: ['parameters/epochs', 'parameters/l2', 'parameters/lr'],
      metrics: ['metrics/test_accuracy', 'train/accuracy', 'train/loss']
    });
  });

  it('ranks by how many runs share a path, drops rare ones, caps each kind', () => {
    const paths: IFieldPath[] = [];
    for (let i = 0; i < 12; i++) {
      paths.push({ path: `params/p${i}`, type: 'float', runs: 100 - i });
      paths.push({ path: `val/m${i}`, type: 'float_series', runs: 50 + i });
    }
    paths.push({ path: 'params/rare', type: 'int', runs: 19 }); // under 20 %
    const choice = chooseColumns(paths, 100, 8, 6);
    expect(choice.params).toEqual([
      'params/p0',
      'params/p1',
      'params/p2',
      'params/p3',
      'params/p4',
      'params/p5',
      'params/p6',
      'params/p7'
    ]);
    expect(choice.metrics).toEqual([
      'val/m11',
      'val/m10',
      'val/m9',
      'val/m8',
      'val/m7',
      'val/m6'
    ]);
    expect(chooseColumns([], 0)).toEqual({ params: [], metrics: [] });
  });

  it('hints with paths that exist', () => {
    expect(exampleColumns(demo(1))).toEqual([
      'parameters/epochs',
      'max(train/accuracy)'
    ]);
    expect(exampleColumns([])).toEqual([]);
  });
});
