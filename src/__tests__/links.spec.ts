import {
  linkParam,
  parseLink,
  parseTabLink,
  TabLink,
  withTabLink
} from '../links';

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

describe('tab links', () => {
  const links: TabLink[] = [
    { kind: 'checkpoint', id: 'a1b2' },
    { kind: 'diff', base: 'aa', remote: 'current' },
    { kind: 'run', id: 'DEMO-7' },
    { kind: 'compare', ids: ['DEMO-1', 'DEMO-2', 'DEMO-3'] },
    { kind: 'runs', query: 'params/lr > 0.01 and state = "finished"' },
    { kind: 'view', value: 'eyJxIjoiIn0' },
    { kind: 'timeline', id: 'c3d4' }
  ];

  it('round-trips every kind through the address bar', () => {
    for (const link of links) {
      const href = withTabLink('http://host/lab?reset', link);
      expect(parseTabLink(new URL(href).search)).toEqual(link);
    }
  });

  it('names each kind by its own parameter', () => {
    expect(linkParam(links[0])).toEqual(['mltrack-checkpoint', 'a1b2']);
    expect(linkParam(links[1])).toEqual(['mltrack-diff', 'aa..current']);
    expect(linkParam(links[2])).toEqual(['mltrack-run', 'DEMO-7']);
    expect(linkParam(links[3])).toEqual([
      'mltrack-compare',
      'DEMO-1,DEMO-2,DEMO-3'
    ]);
    expect(linkParam(links[6])).toEqual(['mltrack-timeline', 'c3d4']);
  });

  it('replaces the link of the previous tab and keeps other parameters', () => {
    const diff = withTabLink('http://host/lab?a=1&mltrack-run=X', links[1]);
    const url = new URL(diff);
    expect(url.searchParams.get('a')).toBe('1');
    expect(url.searchParams.get('mltrack-run')).toBeNull();
    expect(url.searchParams.get('mltrack-diff')).toBe('aa..current');
    expect(withTabLink(diff, null)).toBe('http://host/lab?a=1');
  });

  it('leaves a URL without a link exactly as it is', () => {
    expect(withTabLink('http://host/lab?reset', null)).toBe(
      'http://host/lab?reset'
    );
  });

  it('refuses malformed links', () => {
    expect(parseTabLink('?mltrack-compare=ONE')).toBeNull();
    expect(parseTabLink('?mltrack-diff=aa')).toBeNull();
    expect(parseTabLink('?mltrack-run=')).toBeNull();
    expect(parseTabLink('?other=1')).toBeNull();
    expect(parseTabLink('?mltrack-runs=')).toEqual({ kind: 'runs', query: '' });
  });
});
