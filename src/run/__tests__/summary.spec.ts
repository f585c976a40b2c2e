/**
 * The run view's pure parts: what goes in the summary, the unit of a hardware series, a
 * histogram read from its stored text, and how a cell's logged points are said.
 */
import { IRunField } from '../../runs/api';
import { describeLogged } from '../sections';
import {
  isHistogramSeries,
  parseHistogram,
  summarize,
  unitOf
} from '../summary';

function field(
  path: string,
  type: string,
  kind: IRunField['kind'],
  extra = {}
): IRunField {
  return { path, type, updated_at: 0, kind, ...extra };
}

describe('summarize', () => {
  it("sorts the fields by the server's kind, parameters and metrics by path", () => {
    // The kinds as jupyter_mltrack/query/paths.py gives them (tests/test_server_columns.py).
    const { params, metrics } = summarize([
      field('parameters/lr', 'float', 'param', { value: 0.1 }),
      field('params/optimizer', 'string', 'param', { value: 'adam' }),
      field('config/layers', 'int', 'param', { value: 3 }),
      field('metrics/test_accuracy', 'float', 'metric', { value: 0.95 }),
      field('train/loss', 'float_series', 'metric', { last: 0.2 }),
      field('model/name', 'string', 'param', { value: 'resnet' }),
      field('sys/name', 'string', null, { value: 'x' }),
      field('monitoring/cpu', 'float_series', null, { last: 10 }),
      field('forking/step', 'float', null, { value: 20 }),
      field('images/samples', 'file_series', null)
    ]);
    expect(params.map(f => f.path)).toEqual([
      'config/layers',
      'model/name',
      'parameters/lr',
      'params/optimizer'
    ]);
    expect(metrics.map(f => f.path)).toEqual([
      'metrics/test_accuracy',
      'train/loss'
    ]);
  });
});

describe('unitOf', () => {
  it('knows the hardware series, in any monitoring namespace', () => {
    expect(unitOf('monitoring/cpu')).toBe('%');
    expect(unitOf('monitoring/process_cpu')).toBe('% of one core');
    expect(unitOf('monitoring/memory')).toBe('GiB');
    expect(unitOf('monitoring/gpu-box/process_rss')).toBe('GiB');
    expect(unitOf('monitoring/gpu/0/power')).toBe('W');
    expect(unitOf('monitoring/gpu/1/temperature')).toBe('°C');
    expect(unitOf('monitoring/gpu/0/memory')).toBe('GiB');
  });

  it('says nothing of what it does not know', () => {
    expect(unitOf('train/loss')).toBe('');
    expect(unitOf('cpu')).toBe('');
  });
});

describe('parseHistogram', () => {
  it('reads the stored JSON of neptune and scale.Run', () => {
    expect(
      parseHistogram('{"type":"COUNTING","edges":[0,0.5,1],"values":[3,4]}')
    ).toEqual({ edges: [0, 0.5, 1], values: [3, 4] });
  });

  it('refuses console lines, malformed JSON and bins that do not fit the edges', () => {
    expect(parseHistogram('epoch 1 done')).toBeNull();
    expect(parseHistogram('{"edges": [0, 1]')).toBeNull();
    expect(parseHistogram('{"edges":[0,1],"values":[1,2]}')).toBeNull();
    expect(parseHistogram('{"edges":[0,"a"],"values":[1]}')).toBeNull();
    expect(parseHistogram(42)).toBeNull();
  });

  it('tells a histogram series from a console by its last value', () => {
    const hist = '{"type":"COUNTING","edges":[0,1],"values":[2]}';
    expect(
      isHistogramSeries(field('w/h', 'string_series', null, { last: hist }))
    ).toBe(true);
    expect(
      isHistogramSeries(
        field('monitoring/stdout', 'string_series', null, { last: 'hi' })
      )
    ).toBe(false);
    expect(
      isHistogramSeries(field('w/h', 'string', 'param', { value: hist }))
    ).toBe(false);
  });
});

describe('describeLogged', () => {
  it('says how many points a cell logged, and at which steps', () => {
    const base = {
      path: 'train/loss',
      count: 200,
      first_step: 0,
      last_step: 199
    };
    expect(describeLogged(base)).toBe('train/loss: 200 points, steps 0–199');
    expect(describeLogged({ ...base, count: 1, last_step: 0 })).toBe(
      'train/loss: 1 point, step 0'
    );
    expect(describeLogged({ ...base, first_step: null })).toBe(
      'train/loss: 200 points'
    );
  });
});
