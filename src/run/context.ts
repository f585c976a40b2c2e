/**
 * The run's context, at the bottom of the run view and collapsed until asked for: hardware
 * charts (`monitoring/*` float series, loaded when first opened), console output, git,
 * environment, source, and the whole field tree. Run strings are text (`textContent`).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { IRunField } from '../runs/api';
import { SeriesCharts } from './charts';
import { SeriesFetch } from './feed';
import { ConsoleBlock } from './media';
import { collapsed, describeField, el, fieldTree } from './sections';
import { isHistogramSeries } from './summary';

/** Charts of the hardware series under a header that opens them (closed at first). */
export class HardwareCharts extends Panel {
  constructor(fetch: SeriesFetch, trans: TranslationBundle) {
    super();
    this.addClass('jp-mltrack-run-hardware');
    this.addClass('jp-mltrack-run-section');
    this._toggle = el(
      'button',
      'jp-mltrack-section-title jp-mltrack-section-toggle',
      trans.__('Hardware')
    );
    this._toggle.setAttribute('aria-expanded', 'false');
    this._toggle.addEventListener('click', () => {
      this.toggle();
      this._toggled.emit(this._open);
    });
    this.addWidget(new Widget({ node: this._toggle }));
    this._charts = new SeriesCharts({ fetch, trans });
    this.addWidget(this._charts);
    this._charts.hide();
    this.hide(); // until the run has a hardware series
  }

  get open(): boolean {
    return this._open;
  }

  /** The user opened or closed the section (the view keeps it for the next reload). */
  get toggled(): ISignal<this, boolean> {
    return this._toggled;
  }

  /** Remember a hardware series; drawn once the section is open. */
  add(runId: string, path: string, unit: string): void {
    if (!this._paths.has(path)) {
      this._paths.set(path, { runId, unit });
      this.show();
      if (this._open) {
        void this._draw();
      }
    }
  }

  toggle(): void {
    this._open = !this._open;
    this._toggle.setAttribute('aria-expanded', String(this._open));
    this.toggleClass('jp-mod-open', this._open);
    this._charts.setHidden(!this._open);
    if (this._open) {
      void this._draw();
    }
  }

  async poll(): Promise<void> {
    if (this._open) {
      await this._charts.poll();
    }
  }

  private async _draw(): Promise<void> {
    await Promise.all(
      [...this._paths].map(([path, { runId, unit }]) =>
        this._charts.showField(path, [{ id: runId, label: runId }], { unit })
      )
    );
  }

  private _toggle: HTMLButtonElement;
  private _charts: SeriesCharts;
  private _paths = new Map<string, { runId: string; unit: string }>();
  private _open = false;
  private _toggled = new Signal<this, boolean>(this);
}

/** Key of each section (`data-section`): what a restored view's `open` lists. */
export const CONTEXT_SECTIONS = [
  'console',
  'git',
  'environment',
  'source',
  'fields'
] as const;
export type ContextSection = (typeof CONTEXT_SECTIONS)[number];

/**
 * Console, git, environment, source and all fields: `<details>`, closed at first unless
 * the view was restored with them open.
 */
export class RunContext extends Widget {
  constructor(
    runId: string,
    fetch: SeriesFetch,
    trans: TranslationBundle,
    open: Iterable<string> = []
  ) {
    super();
    this.addClass('jp-mltrack-run-context');
    this._runId = runId;
    this._fetch = fetch;
    this._trans = trans;
    this._open = new Set(open);
    // `toggle` does not bubble: listen in the capture phase for every section's.
    this.node.addEventListener('toggle', this._onToggle, true);
  }

  /** The sections open (keys of `CONTEXT_SECTIONS`). */
  get openSections(): string[] {
    return CONTEXT_SECTIONS.filter(key => this._open.has(key));
  }

  /** The user opened or closed a section. */
  get toggled(): ISignal<this, void> {
    return this._toggled;
  }

  /** Rebuild the sections for these fields (their paths or types changed). */
  render(fields: IRunField[]): void {
    const trans = this._trans;
    const nodes: HTMLDetailsElement[] = [];
    this._consoles = [];
    const strings = fields.filter(
      f => f.type === 'string_series' && !isHistogramSeries(f)
    );
    if (strings.length) {
      const box = collapsed(trans.__('Console'), 'jp-mltrack-run-console');
      box.dataset.section = 'console';
      for (const field of strings) {
        const block = new ConsoleBlock(this._runId, field.path, this._fetch);
        this._consoles.push(block);
        box.appendChild(block.node);
        void block.update().catch(() => null);
      }
      nodes.push(box);
    }
    const groups: [string, ContextSection, (path: string) => boolean][] = [
      [trans.__('Git'), 'git', p => p.startsWith('source_code/git/')],
      [
        trans.__('Environment'),
        'environment',
        p =>
          p.startsWith('source_code/environment/') ||
          p === 'source_code/requirements'
      ],
      [
        trans.__('Source'),
        'source',
        p =>
          p.startsWith('source_code/') &&
          !p.startsWith('source_code/git/') &&
          !p.startsWith('source_code/environment/') &&
          p !== 'source_code/requirements'
      ]
    ];
    for (const [title, key, test] of groups) {
      const members = fields.filter(f => test(f.path) && f.type !== 'file_set');
      if (!members.length) {
        continue;
      }
      const box = collapsed(title, `jp-mltrack-run-${key}`);
      box.dataset.section = key;
      for (const field of members) {
        const row = el('div', 'jp-mltrack-source-field');
        row.dataset.path = field.path;
        row.append(
          el(
            'span',
            'jp-mltrack-field-name',
            field.path.slice(field.path.lastIndexOf('/') + 1)
          ),
          el('pre', 'jp-mltrack-source-value', describeField(field, trans))
        );
        box.appendChild(row);
      }
      nodes.push(box);
    }
    const tree = collapsed(trans.__('All fields'), 'jp-mltrack-run-fields');
    tree.dataset.section = 'fields';
    tree.appendChild(fieldTree(fields, trans));
    nodes.push(tree);
    for (const node of nodes) {
      // A rebuild, or a restored view, keeps what the user opened.
      node.open = this._open.has(node.dataset.section ?? '');
    }
    this.node.replaceChildren(...nodes);
  }

  private _onToggle = (event: Event): void => {
    const node = event.target as HTMLElement;
    const key = node.dataset?.section;
    if (!(node instanceof HTMLDetailsElement) || !key) {
      return; // a field group inside "All fields"
    }
    // Setting `open` in `render` fires this too: only a real change counts.
    if (node.open === this._open.has(key)) {
      return;
    }
    if (node.open) {
      this._open.add(key);
    } else {
      this._open.delete(key);
    }
    this._toggled.emit();
  };

  /** Same fields, new values: rewrite only the value texts. */
  updateValues(fields: IRunField[]): void {
    for (const field of fields) {
      const text = describeField(field, this._trans);
      this.node
        .querySelectorAll(
          `[data-path="${CSS.escape(field.path)}"] .jp-mltrack-field-value, ` +
            `[data-path="${CSS.escape(field.path)}"] .jp-mltrack-source-value`
        )
        .forEach(node => {
          if (node.textContent !== text) {
            node.textContent = text;
          }
        });
    }
  }

  /** New console lines of a running run. */
  poll(): void {
    this._consoles.forEach(c => void c.update(true).catch(() => null));
  }

  private _runId: string;
  private _fetch: SeriesFetch;
  private _trans: TranslationBundle;
  private _consoles: ConsoleBlock[] = [];
  private _open: Set<string>;
  private _toggled = new Signal<this, void>(this);
}
