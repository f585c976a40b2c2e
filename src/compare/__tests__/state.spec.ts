import { readCompareState } from '../view';

describe("a compare tab's toggles in its restorer args", () => {
  it('keeps the ones a reload gives back and drops anything else', () => {
    expect(
      readCompareState({
        ids: ['A', 'B'],
        diffOnly: true,
        checkpoints: 'start',
        metric: 'metrics/acc'
      })
    ).toEqual({ diffOnly: true, checkpoints: 'start', metric: 'metrics/acc' });
    expect(readCompareState({ ids: ['A', 'B'] })).toEqual({});
    expect(
      readCompareState({ diffOnly: 'yes', checkpoints: 'middle', metric: '' })
    ).toEqual({});
  });
});
