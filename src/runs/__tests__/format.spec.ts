import { formatCell, formatDuration, formatNumber } from '../format';

describe('format', () => {
  it('writes durations, numbers, tags and missing values', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatNumber(0.123456789)).toBe('0.123457');
    expect(formatNumber(3e-7)).toBe('3.0000e-7');
    expect(formatCell('sys/tags', ['a', 'b'])).toBe('a, b');
    expect(formatCell('params/x', null)).toBe('');
    expect(formatCell('sys/duration', 61)).toBe('1m 01s');
    expect(formatCell('sys/creation_time', 0)).toMatch(/^19(69|70)-/);
  });
});
