import { emptyState } from '../empty';

describe('the empty table', () => {
  it('says that nothing matches and how to widen the query', () => {
    const state = emptyState(
      'sys/state = "running" AND parameters/lr > 5',
      1234
    );
    expect(state.title).toBe(
      'No runs match sys/state = "running" AND parameters/lr > 5.'
    );
    expect(state.canClear).toBe(true);
    expect(state.hints[0]).toBe('Clear the query to see all 1,234 runs.');
    expect(state.hints.join(' ')).toContain('remove its sys/state condition');
    expect(state.hints.join(' ')).toContain('AND conditions');
    expect(state.hints.join(' ')).toContain('matches only runs that have it');
  });

  it('names the project and the time range when the query has them', () => {
    const state = emptyState(
      'sys/project = "demo" AND sys/creation_time > "-1h"',
      1
    );
    expect(state.hints[0]).toBe('Clear the query to see the 1 run there is.');
    expect(state.hints.join(' ')).toContain('sys/project = "demo"');
    expect(state.hints.join(' ')).toContain('time range');
    expect(state.hints.join(' ')).not.toContain('matches only runs');
  });

  it('without a query: no runs yet, nothing to clear', () => {
    const state = emptyState('  ', 0);
    expect(state.title).toBe('No runs yet.');
    expect(state.canClear).toBe(false);
    expect(state.hints[0]).toContain('init_run');
    expect(emptyState('x > 1', 0).canClear).toBe(false); // no runs at all
  });
});
