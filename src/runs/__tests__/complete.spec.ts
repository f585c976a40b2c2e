import { IFieldPath } from '../api';
import { applyCompletion, complete, quotePath } from '../complete';

const paths: IFieldPath[] = [
  { path: 'train/loss', type: 'float_series', runs: 3, kind: 'metric' },
  { path: 'val/loss', type: 'float_series', runs: 3, kind: 'metric' },
  { path: 'params/lr', type: 'float', runs: 3, kind: 'param' },
  { path: 'metrics/top-1 acc', type: 'float', runs: 1, kind: 'metric' }
];

describe('complete', () => {
  it('completes the path under the cursor, prefix matches first', () => {
    const text = 'params/lr > 0.1 AND tra';
    const result = complete(text, text.length, paths);
    expect(result.from).toBe(text.length - 3);
    expect(result.items[0]).toEqual({
      text: 'train/loss',
      kind: 'float_series'
    });
    const applied = applyCompletion(text, result, result.items[0]);
    expect(applied.text).toBe('params/lr > 0.1 AND train/loss');
    expect(applied.cursor).toBe(applied.text.length);
  });

  it('finds paths by substring and offers aggregates and keywords', () => {
    const loss = complete('loss', 4, paths).items.map(i => i.text);
    expect(loss).toEqual(['train/loss', 'val/loss']);
    const m = complete('ma', 2, paths).items.map(i => i.text);
    expect(m).toContain('max(');
    expect(m).toContain('MATCHES');
    expect(m).not.toContain('train/loss');
  });

  it('completes inside aggregates and replaces the whole word', () => {
    const text = 'max(val/lo) > 1';
    const result = complete(text, 8, paths); // cursor after "val/"
    expect(text.slice(result.from, result.to)).toBe('val/lo');
    const applied = applyCompletion(text, result, result.items[0]);
    expect(applied.text).toBe('max(val/loss) > 1');
  });

  it('quotes unusual paths with backticks, also inside an open backtick', () => {
    expect(quotePath('metrics/top-1 acc')).toBe('`metrics/top-1 acc`');
    expect(quotePath('params/lr')).toBe('params/lr');
    // Escaped, not stripped: the server reads back the very path (query/tokens.py).
    expect(quotePath('a`b\\c')).toBe('`a\\`b\\\\c`');
    const text = '`metrics/to';
    const result = complete(text, text.length, paths);
    expect(result.from).toBe(0);
    expect(result.items.map(i => i.text)).toEqual(['`metrics/top-1 acc`']);
  });

  it('offers sys paths', () => {
    expect(complete('sys/st', 6, []).items.map(i => i.text)).toEqual([
      'sys/state'
    ]);
  });
});
