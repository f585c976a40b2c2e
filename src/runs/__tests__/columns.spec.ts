import { IFieldPath } from '../api';
import { exampleColumns, suggestFrom } from '../columns';

/**
 * The demo notebook's paths (examples/demo.ipynb) as `GET fields` lists them, with how many
 * of `runs` have each and the kind the server gives each (jupyter_mltrack/query/paths.py).
 */
function demo(runs: number): IFieldPath[] {
  return [
    { path: 'parameters/lr', type: 'float', runs, kind: 'param' },
    { path: 'parameters/epochs', type: 'int', runs, kind: 'param' },
    { path: 'parameters/l2', type: 'float', runs, kind: 'param' },
    { path: 'train/loss', type: 'float_series', runs, kind: 'metric' },
    { path: 'train/accuracy', type: 'float_series', runs, kind: 'metric' },
    { path: 'metrics/test_accuracy', type: 'float', runs, kind: 'metric' },
    { path: 'source_code/notebook', type: 'string', runs, kind: null },
    { path: 'monitoring/cpu', type: 'float_series', runs, kind: null },
    { path: 'sys/tags', type: 'string_set', runs, kind: null },
    { path: 'images/samples', type: 'file_series', runs, kind: null }
  ];
}

describe('column hints', () => {
  it('hint with paths that exist, never the library own paths', () => {
    expect(exampleColumns(demo(1))).toEqual([
      'parameters/epochs',
      'max(train/accuracy)'
    ]);
    expect(exampleColumns([])).toEqual([]);
  });

  it('hint with the most frequent parameter and series', () => {
    const paths = [
      ...demo(1),
      { path: 'params/batch', type: 'int', runs: 5, kind: 'param' as const },
      {
        path: 'val/loss',
        type: 'float_series',
        runs: 4,
        kind: 'metric' as const
      }
    ];
    expect(exampleColumns(paths)).toEqual(['params/batch', 'max(val/loss)']);
  });

  it("suggest the server's default columns for the query", async () => {
    const asked: unknown[] = [];
    const suggest = suggestFrom(async q => {
      asked.push(q);
      return { suggested: ['parameters/lr', 'metrics/test_accuracy'] };
    });
    expect(
      await suggest({ query: 'sys/state = "finished"', project: 'demo' })
    ).toEqual(['parameters/lr', 'metrics/test_accuracy']);
    expect(asked).toEqual([
      { query: 'sys/state = "finished"', project: 'demo' }
    ]);
  });
});
