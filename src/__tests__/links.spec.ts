import { parseLink } from '../links';

describe('parseLink', () => {
  it('reads a checkpoint link', () => {
    expect(parseLink('?mltrack-checkpoint=a1b2c3')).toEqual({ base: 'a1b2c3' });
  });

  it('reads a diff link, against another checkpoint or the current notebook', () => {
    expect(parseLink('?reset&mltrack-diff=aa..bb')).toEqual({
      base: 'aa',
      remote: 'bb'
    });
    expect(parseLink('?mltrack-diff=aa..current')).toEqual({
      base: 'aa',
      remote: 'current'
    });
  });

  it('ignores queries without a link and malformed diffs', () => {
    expect(parseLink('?reset')).toBeNull();
    expect(parseLink('?mltrack-diff=aa')).toBeNull();
    expect(parseLink('?mltrack-diff=..bb')).toBeNull();
    expect(parseLink('?mltrack-diff=a..b..c')).toBeNull();
  });
});
