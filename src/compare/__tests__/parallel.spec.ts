import { IRunDetail, IRunField } from '../../runs/api';
import {
  makeAxis,
  metricChoices,
  metricColor,
  NO_METRIC_COLOR,
  parallelData,
  parameterPaths
} from '../parallel';

function run(id: string, fields: Omit<IRunField, 'updated_at'>[]): IRunDetail {
  return {
    id,
    sys: { 'sys/name': id, 'sys/state': 'finished' },
    tags: [],
    fields: fields.map(f => ({ updated_at: 0, ...f })),
    files: [],
    checkpoint: null,
    end_checkpoint: null,
    cells: []
  } as unknown as IRunDetail;
}

// Each field's kind as the server gives it (jupyter_mltrack/query/paths.py).
const RUNS = [
  run('A-1', [
    { path: 'params/lr', kind: 'param', type: 'float', value: 0.1 },
    { path: 'params/optimizer', kind: 'param', type: 'string', value: 'adam' },
    { path: 'params/epochs', kind: 'param', type: 'int', value: 20 },
    { path: 'metrics/f1', kind: 'metric', type: 'float', value: 0.5 },
    { path: 'train/loss', kind: 'metric', type: 'float_series', last: 0.2 },
    {
      path: 'source_code/notebook',
      kind: null,
      type: 'string',
      value: 'a.ipynb'
    }
  ]),
  run('A-2', [
    { path: 'params/lr', kind: 'param', type: 'float', value: 0.01 },
    { path: 'params/optimizer', kind: 'param', type: 'string', value: 'sgd' },
    { path: 'params/epochs', kind: 'param', type: 'int', value: 20 },
    { path: 'metrics/f1', kind: 'metric', type: 'float', value: 0.7 },
    { path: 'train/loss', kind: 'metric', type: 'float_series', last: 0.4 }
  ]),
  run('A-3', [
    { path: 'params/lr', kind: 'param', type: 'float', value: 0.001 },
    { path: 'params/optimizer', kind: 'param', type: 'string', value: 'adam' },
    { path: 'params/epochs', kind: 'param', type: 'int', value: 20 },
    { path: 'metrics/f1', kind: 'metric', type: 'float', value: 0.6 }
  ])
];

describe('numeric axes', () => {
  it('scale linearly from the lowest (0) to the highest (1) value', () => {
    const axis = makeAxis('p', [2, 4, 10]);
    expect(axis.kind).toBe('numeric');
    expect(axis.log).toBe(false);
    expect(axis.at(2)).toBe(0);
    expect(axis.at(10)).toBe(1);
    expect(axis.at(4)).toBeCloseTo(0.25);
    expect(axis.at(undefined)).toBeNull();
    expect(axis.ticks.map(t => t.label)).toEqual(['2', '6', '10']);
  });

  it('turn logarithmic over two decades or more (learning rates)', () => {
    const axis = makeAxis('lr', [0.1, 0.01, 0.001]);
    expect(axis.log).toBe(true);
    expect(axis.at(0.001)).toBeCloseTo(0);
    expect(axis.at(0.01)).toBeCloseTo(0.5);
    expect(axis.at(0.1)).toBeCloseTo(1);
    expect(axis.ticks[1].label).toBe('0.01');
  });

  it('put a single value in the middle', () => {
    const axis = makeAxis('p', [3, 3]);
    expect(axis.at(3)).toBe(0.5);
    expect(axis.ticks).toEqual([{ label: '3', at: 0.5 }]);
  });
});

describe('categorical axes', () => {
  it('give each category its own evenly spaced tick, sorted', () => {
    const axis = makeAxis('opt', ['sgd', 'adam', 'rmsprop', 'adam']);
    expect(axis.kind).toBe('categorical');
    expect(axis.ticks.map(t => [t.label, t.at])).toEqual([
      ['adam', 0],
      ['rmsprop', 0.5],
      ['sgd', 1]
    ]);
    expect(axis.at('sgd')).toBe(1);
    expect(axis.at(undefined)).toBeNull();
  });

  it('take booleans and numbers mixed with strings as categories', () => {
    expect(makeAxis('b', [true, false]).kind).toBe('categorical');
    expect(makeAxis('m', [1, 'x']).kind).toBe('categorical');
  });
});

describe('parallelData', () => {
  it('draws the varying parameters, then the metric, one line per run', () => {
    expect(metricChoices(RUNS)).toEqual(['last(train/loss)', 'metrics/f1']);
    expect(parameterPaths(RUNS, 'metrics/f1')).toEqual([
      'params/lr',
      'params/optimizer'
    ]);
    const data = parallelData(RUNS);
    expect(data.metric).toBe('metrics/f1');
    expect(data.axes.map(a => a.path)).toEqual([
      'params/lr',
      'params/optimizer',
      'metrics/f1'
    ]);
    expect(data.lines.map(l => l.runId)).toEqual(['A-1', 'A-2', 'A-3']);
    expect(data.lines[0].positions[0]).toBeCloseTo(1); // lr 0.1 on top (log)
    expect(data.lines[1].positions[1]).toBe(1); // sgd
    expect(data.lines[0].metric).toBe(0); // f1 0.5, the lowest
    expect(data.lines[1].metric).toBe(1);
    expect(data.lines[0].color).toBe(metricColor(0));
    expect(data.lines[1].color).toBe(metricColor(1));
  });

  it('colours a run without the chosen metric grey', () => {
    const data = parallelData(RUNS, 'last(train/loss)');
    expect(data.metric).toBe('last(train/loss)');
    expect(data.lines[2].positions[data.axes.length - 1]).toBeNull();
    expect(data.lines[2].color).toBe(NO_METRIC_COLOR);
  });

  it('keeps constant parameters when no parameter varies', () => {
    const same = [RUNS[0], { ...RUNS[0], id: 'A-9' }];
    expect(parameterPaths(same, 'metrics/f1')).toEqual([
      'params/epochs',
      'params/lr',
      'params/optimizer'
    ]);
  });
});

describe('parameters and metrics by kind', () => {
  it('reads them from the server, not from a namespace', () => {
    // Logged at the root, as `run["lr"] = 0.1`: the server calls lr a parameter and
    // accuracy a metric (a score's name), batch_size a parameter, notes neither.
    const runs = [0.1, 0.01].map((lr, i) =>
      run(`R-${i}`, [
        { path: 'lr', kind: 'param', type: 'float', value: lr },
        { path: 'batch_size', kind: 'param', type: 'int', value: 32 },
        {
          path: 'accuracy',
          kind: 'metric',
          type: 'float',
          value: 0.8 + i / 10
        },
        { path: 'notes', kind: null, type: 'string_series', last: 'ok' }
      ])
    );
    expect(metricChoices(runs)).toEqual(['accuracy']);
    expect(parameterPaths(runs, 'accuracy')).toEqual(['lr']);
  });
});

describe('metricColor', () => {
  it('runs along viridis from purple to yellow, clamped', () => {
    expect(metricColor(0)).toBe('#440154');
    expect(metricColor(1)).toBe('#fde725');
    expect(metricColor(2)).toBe('#fde725');
    expect(metricColor(0.5)).toBe('#21918c');
  });
});
