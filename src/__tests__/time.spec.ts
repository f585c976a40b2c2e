import { formatAbsolute, formatRelative, toMillis } from '../time';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('time', () => {
  it('reads epoch seconds, numeric strings and ISO strings', () => {
    expect(toMillis(1700000000.5)).toBe(1700000000500);
    expect(toMillis('1700000000')).toBe(1700000000000);
    expect(toMillis('2026-11-22T12:00:00Z')).toBe(NOW);
    expect(Number.isNaN(toMillis('not a date'))).toBe(true);
  });

  it('says how long ago, in the largest whole unit', () => {
    const ago = (seconds: number) => formatRelative(NOW / 1000 - seconds, NOW);
    expect(ago(10)).toBe('just now');
    expect(ago(5 * 60)).toBe('5 minutes ago');
    expect(ago(3600)).toBe('1 hour ago');
    expect(ago(24 * 3600)).toBe('yesterday');
    expect(ago(3 * 24 * 3600)).toBe('3 days ago');
    expect(ago(400 * 24 * 3600)).toBe('last year');
  });

  it('falls back to words for unreadable times', () => {
    expect(formatRelative('garbage', NOW)).toBe('unknown time');
    expect(formatAbsolute('garbage')).toBe('garbage');
    expect(formatAbsolute(NOW / 1000)).toMatch(/2026/);
  });
});
