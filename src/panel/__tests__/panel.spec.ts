import { Widget } from '@lumino/widgets';

import { MLTrackPanel, PANEL_ID } from '../panel';

function section(id: string): Widget {
  const widget = new Widget();
  widget.id = id;
  return widget;
}

describe('MLTrackPanel', () => {
  let panel: MLTrackPanel;
  let revealed = 0;
  let runs: Widget;
  let checkpoints: Widget;

  beforeEach(() => {
    revealed = 0;
    runs = section('runs');
    checkpoints = section('checkpoints');
    panel = new MLTrackPanel({ reveal: () => revealed++ });
    Widget.attach(panel, document.body);
    // Added in the order the plugins may activate: the runs first.
    panel.addSection(runs, { label: 'Runs', rank: 200 });
    panel.addSection(checkpoints, { label: 'Checkpoints', rank: 100 });
  });

  afterEach(() => panel.dispose());

  const tabs = (): HTMLElement[] =>
    Array.from(panel.node.querySelectorAll<HTMLElement>('[role="tab"]'));

  it('has its own id and shows labelled tabs by rank', () => {
    expect(panel.id).toBe(PANEL_ID);
    expect(
      panel.node.querySelector('.jp-mltrack-panel-title')?.textContent
    ).toBe('ML Track');
    expect(tabs().map(t => t.textContent)).toEqual(['Checkpoints', 'Runs']);
    expect(tabs()[0].getAttribute('aria-controls')).toBe('checkpoints');
  });

  it('shows one section at a time, the first by default', () => {
    expect(panel.current).toBe(checkpoints);
    expect(checkpoints.isHidden).toBe(false);
    expect(runs.isHidden).toBe(true);
    expect(tabs()[0].getAttribute('aria-selected')).toBe('true');

    const shown: Widget[] = [];
    panel.currentChanged.connect((_, w) => shown.push(w));
    tabs()[1].click();
    expect(panel.current).toBe(runs);
    expect(checkpoints.isHidden).toBe(true);
    expect(runs.isHidden).toBe(false);
    expect(tabs()[1].getAttribute('aria-selected')).toBe('true');
    expect(shown).toEqual([runs]);
    expect(revealed).toBe(0);
  });

  it('moves between tabs with the arrow keys and reveals a section on request', () => {
    tabs()[0].dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })
    );
    expect(panel.current).toBe(runs);
    panel.reveal(checkpoints);
    expect(panel.current).toBe(checkpoints);
    expect(revealed).toBe(1);
  });

  it('restores the section selected before a reload, added or still to come', () => {
    panel.restoreSection('runs');
    expect(panel.current).toBe(runs);
    expect(runs.isHidden).toBe(false);

    // Restored before the plugins add their sections: the first-ranked one does not win.
    const later = new MLTrackPanel({ reveal: () => undefined });
    const a = section('a');
    const b = section('b');
    later.restoreSection('b');
    later.addSection(b, { label: 'B', rank: 200 });
    later.addSection(a, { label: 'A', rank: 100 });
    expect(later.current).toBe(b);
    later.dispose();
  });

  it("lets the user's choice win over a section restored late", () => {
    const later = new MLTrackPanel({ reveal: () => undefined });
    const a = section('a');
    const b = section('b');
    later.addSection(a, { label: 'A', rank: 100 });
    later.restoreSection('b');
    later.select(a);
    later.addSection(b, { label: 'B', rank: 200 });
    expect(later.current).toBe(a);
    later.dispose();
  });
});
