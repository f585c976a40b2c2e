import { decodeView, encodeView, LINK_VIEW, viewOfSearch } from '../viewLink';

describe('view links', () => {
  it('round-trip a view, any text included, as a URL-safe value', () => {
    const view = {
      name: 'best lr ✓',
      query: 'parameters/lr < 0.05 AND sys/tags CONTAINS "a&b=c?"',
      sort: '-metrics/test_accuracy',
      columns: ['sys/id', 'parameters/lr', 'max(train/accuracy)'],
      widths: { 'parameters/lr': 200 }
    };
    const value = encodeView(view);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeView(value)).toEqual(view);
    const search = '?' + new URLSearchParams([[LINK_VIEW, value]]).toString();
    expect(viewOfSearch(search)).toEqual(view);
  });

  it('refuses what is not a view', () => {
    expect(decodeView('')).toBeNull();
    expect(decodeView('%%%')).toBeNull();
    expect(decodeView(btoa('[1,2]'))).toBeNull();
    expect(viewOfSearch('?other=1')).toBeNull();
    expect(decodeView(btoa('{"q":5,"c":[1,"a"]}'))).toEqual({
      name: '',
      query: '',
      sort: '',
      columns: ['a'],
      widths: {}
    });
  });
});
