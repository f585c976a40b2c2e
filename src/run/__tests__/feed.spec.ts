import { ISeries, ISeriesQuery } from '../../runs/api';
import { SeriesFeed } from '../feed';

/** A series growing by `grow` points a call; answers honour after_step like the server. */
function growing(start: number, grow: number) {
  let n = start;
  const calls: ISeriesQuery[] = [];
  const fetch = async (
    _id: string,
    field: string,
    q: ISeriesQuery
  ): Promise<ISeries> => {
    calls.push(q);
    const after = q.afterStep ?? -Infinity;
    const steps: number[] = [];
    for (let s = 0; s < n; s++) {
      if (s > after) {
        steps.push(s);
      }
    }
    n += grow;
    return {
      field,
      type: 'float_series',
      count: n - grow,
      returned: steps.length,
      downsampled: false,
      x: q.x ?? 'step',
      steps,
      values: steps.map(s => s * 2),
      timestamps: steps.map(s => 1000 + s),
      indices: steps
    };
  };
  return { calls, fetch };
}

describe('SeriesFeed', () => {
  it('loads, then polls only the points after the last step', async () => {
    const { calls, fetch } = growing(5, 3);
    const feed = new SeriesFeed({
      runId: 'R-1',
      field: 'loss',
      fetch,
      maxPoints: 100
    });
    const first = await feed.load();
    expect(first.reset).toBe(true);
    expect(feed.x).toEqual([0, 1, 2, 3, 4]);
    expect(feed.lastStep).toBe(4);
    const next = await feed.poll();
    expect(next).toEqual({ reset: false, x: [5, 6, 7], y: [10, 12, 14] });
    expect(calls[1].afterStep).toBe(4);
    expect(feed.x).toHaveLength(8);
  });

  it('reloads downsampled once the appended points pass the budget', async () => {
    const { calls, fetch } = growing(2, 6);
    const feed = new SeriesFeed({
      runId: 'R-1',
      field: 'loss',
      fetch,
      maxPoints: 10
    });
    await feed.load();
    await feed.poll(); // +6
    await feed.poll(); // +6: 12 appended > 10
    const update = await feed.poll();
    expect(update.reset).toBe(true);
    expect(calls[calls.length - 1].afterStep).toBeUndefined();
  });

  it('uses timestamps as x on the time axis and skips points without one', async () => {
    const fetch = async (): Promise<ISeries> => ({
      field: 'f',
      type: 'float_series',
      count: 3,
      returned: 3,
      downsampled: false,
      x: 'time',
      steps: [0, 1, 2],
      values: [1, null, 3],
      timestamps: [10, null, 12],
      indices: [0, 1, 2]
    });
    const feed = new SeriesFeed({
      runId: 'R',
      field: 'f',
      fetch,
      axis: 'time'
    });
    await feed.load();
    expect(feed.x).toEqual([10, 12]);
    expect(feed.y).toEqual([1, 3]);
    expect(feed.lastStep).toBe(2);
  });

  it('counts seconds from the first point on the relative axis, polls included', async () => {
    const { calls, fetch } = growing(3, 2);
    const feed = new SeriesFeed({
      runId: 'R',
      field: 'f',
      fetch,
      axis: 'relative'
    });
    await feed.load();
    expect(feed.x).toEqual([0, 1, 2]);
    expect(calls[0].x).toBe('time');
    const next = await feed.poll();
    expect(next.x).toEqual([3, 4]);
  });
});
