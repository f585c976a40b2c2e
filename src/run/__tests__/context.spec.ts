import { Widget } from '@lumino/widgets';

import { defaultTrans } from '../../i18n';
import { IRunField } from '../../runs/api';
import { RunContext } from '../context';

const fields: IRunField[] = [
  {
    path: 'monitoring/stdout',
    type: 'string_series',
    updated_at: 1,
    kind: null
  },
  {
    path: 'source_code/git/commit',
    type: 'string',
    updated_at: 1,
    kind: null,
    value: 'abc'
  },
  { path: 'params/lr', type: 'float', updated_at: 1, kind: 'param', value: 0.1 }
];

const noSeries = () => Promise.reject(new Error('no series in this test'));

function details(context: RunContext, key: string): HTMLDetailsElement {
  return context.node.querySelector<HTMLDetailsElement>(
    `details[data-section="${key}"]`
  )!;
}

/** The browser fires `toggle` (not bubbling) on a `<details>` opened or closed. */
function toggle(node: HTMLDetailsElement, open: boolean): void {
  node.open = open;
  node.dispatchEvent(new Event('toggle'));
}

describe("the run view's collapsed sections", () => {
  it('open the ones a restored view lists, and report what the user opens', () => {
    const context = new RunContext('R-1', noSeries, defaultTrans(), [
      'console'
    ]);
    Widget.attach(context, document.body);
    context.render(fields);
    expect(details(context, 'console').open).toBe(true);
    expect(details(context, 'git').open).toBe(false);
    expect(details(context, 'fields').open).toBe(false);
    expect(context.openSections).toEqual(['console']);

    let changes = 0;
    context.toggled.connect(() => changes++);
    toggle(details(context, 'git'), true);
    toggle(details(context, 'console'), false);
    expect(context.openSections).toEqual(['git']);
    expect(changes).toBe(2);
    // A group inside "All fields" is not a section; the same state again is no change.
    const group = details(context, 'fields').querySelector('details')!;
    toggle(group, !group.open);
    toggle(details(context, 'git'), true);
    expect(changes).toBe(2);

    // A rebuild (new fields) keeps what the user opened.
    context.render([
      ...fields,
      { path: 'x', type: 'int', updated_at: 2, kind: 'param' }
    ]);
    expect(details(context, 'git').open).toBe(true);
    expect(details(context, 'console').open).toBe(false);
    context.dispose();
  });
});
