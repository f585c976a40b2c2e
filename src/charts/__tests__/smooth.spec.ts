import { smooth } from '../smooth';

describe('smooth', () => {
  it('is the identity at weight 0', () => {
    expect(smooth([1, null, 3], 0)).toEqual([1, null, 3]);
  });

  it('is a debiased moving average: a constant stays constant', () => {
    const out = smooth([5, 5, 5, 5], 0.9);
    out.forEach(v => expect(v).toBeCloseTo(5, 10));
  });

  it('lags a step and keeps gaps without resetting', () => {
    const out = smooth([0, 0, NaN, 10, 10], 0.5);
    expect(out[2]).toBeNull();
    expect(out[3]!).toBeGreaterThan(0);
    expect(out[3]!).toBeLessThan(10);
    expect(out[4]!).toBeGreaterThan(out[3]!);
  });
});
