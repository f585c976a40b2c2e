/**
 * The one ML Track left panel: a title, a row of labelled tabs (Checkpoints, Runs), and
 * the section widgets the plugins add. The panel only hosts them: each section keeps its
 * own DOM, model and refresh, so the plugins that own them need not know one another. The
 * checkpoint history keeps its DOM id (`SIDEBAR_ID`, `#mltrack-sidebar`) inside the panel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Token } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { mltrackIcon } from '../icons';

/** DOM id of the panel, and of its entry in the left bar. */
export const PANEL_ID = 'mltrack-panel';

export interface ISectionOptions {
  /** The tab's words. */
  label: string;
  /** Tabs sort by rank, lowest first (checkpoints 100, runs 200). */
  rank?: number;
  icon?: LabIcon;
}

/** What the plugins of this extension use to put their sidebar into the panel. */
export interface IMLTrackPanel {
  /** Host `widget` as a labelled section (a tab) of the panel. */
  addSection(widget: Widget, options: ISectionOptions): void;
  /** Reveal the panel in the left area with `widget`'s section selected. */
  reveal(widget: Widget): void;
  /**
   * Select the section whose widget has DOM id `id` (the one selected before a reload),
   * now or as soon as a plugin adds it; a user's own choice meanwhile wins.
   */
  restoreSection(id: string): void;
  /** Emits the section shown after a tab change. */
  readonly currentChanged: ISignal<IMLTrackPanel, Widget>;
}

export const IMLTrackPanel = new Token<IMLTrackPanel>(
  'jupyter-mltrack:IMLTrackPanel',
  'The ML Track left panel, with one labelled section per part (checkpoints, runs).'
);

interface ISection {
  widget: Widget;
  tab: HTMLButtonElement;
  rank: number;
}

export class MLTrackPanel extends Panel implements IMLTrackPanel {
  constructor(options: {
    /** Show the panel in the shell (the plugin activates it by id). */
    reveal: (panel: MLTrackPanel) => void;
    trans?: TranslationBundle;
  }) {
    super();
    this._reveal = options.reveal;
    const trans = options.trans ?? defaultTrans();
    this.id = PANEL_ID;
    this.addClass('jp-mltrack-panel');
    this.title.icon = mltrackIcon;
    this.title.caption = trans.__('ML Track');
    const head = new Widget();
    head.addClass('jp-mltrack-panel-head');
    const title = el('h2', 'jp-mltrack-panel-title');
    mltrackIcon.element({ container: title, tag: 'span' });
    title.appendChild(el('span', '', trans.__('ML Track')));
    this._tabs = el('div', 'jp-mltrack-panel-tabs');
    this._tabs.setAttribute('role', 'tablist');
    this._tabs.setAttribute('aria-label', trans.__('ML Track sections'));
    this._tabs.addEventListener('keydown', this._onKeyDown);
    head.node.append(title, this._tabs);
    this._body = new Panel();
    this._body.addClass('jp-mltrack-panel-body');
    this.addWidget(head);
    this.addWidget(this._body);
  }

  get currentChanged(): ISignal<this, Widget> {
    return this._currentChanged;
  }

  /** The section shown. */
  get current(): Widget | null {
    return this._current;
  }

  addSection(widget: Widget, options: ISectionOptions): void {
    const rank = options.rank ?? 500;
    const tab = el('button', 'jp-mltrack-panel-tab');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.id = `${widget.id}-tab`;
    tab.dataset.section = widget.id;
    tab.setAttribute('aria-controls', widget.id);
    if (options.icon) {
      options.icon.element({ container: tab, tag: 'span' });
    }
    tab.appendChild(el('span', '', options.label));
    tab.addEventListener('click', () => this.select(widget));
    widget.addClass('jp-mltrack-panel-section');
    widget.node.setAttribute('role', 'tabpanel');
    widget.node.setAttribute('aria-labelledby', tab.id);
    const section = { widget, tab, rank };
    const at = this._sections.findIndex(s => s.rank > rank);
    const index = at < 0 ? this._sections.length : at;
    this._sections.splice(index, 0, section);
    this._tabs.insertBefore(tab, this._tabs.children[index] ?? null);
    this._body.insertWidget(index, widget);
    widget.disposed.connect(() => {
      this._sections = this._sections.filter(s => s !== section);
      tab.remove();
      if (this._current === widget) {
        this._current = null;
        const next = this._sections[0]?.widget;
        if (next) {
          this._show(next);
        }
      }
    });
    if (widget.id === this._wanted) {
      this._wanted = null;
      this._show(widget);
    } else if (!this._current || (index === 0 && !this._restored)) {
      this._show(widget);
    } else {
      widget.hide();
      this._mark();
    }
  }

  /** Show `widget`'s section (without revealing the panel): the user's choice. */
  select(widget: Widget): void {
    this._wanted = null;
    this._show(widget);
  }

  restoreSection(id: string): void {
    const section = this._sections.find(s => s.widget.id === id);
    this._restored = true;
    if (section) {
      this._wanted = null;
      this._show(section.widget);
    } else {
      this._wanted = id;
    }
  }

  private _show(widget: Widget): void {
    if (!this._sections.some(s => s.widget === widget)) {
      return;
    }
    const changed = this._current !== widget;
    this._current = widget;
    for (const section of this._sections) {
      section.widget.setHidden(section.widget !== widget);
    }
    this._mark();
    if (changed) {
      this._currentChanged.emit(widget);
    }
  }

  reveal(widget: Widget): void {
    this.select(widget);
    this._reveal(this);
  }

  private _mark(): void {
    for (const { widget, tab } of this._sections) {
      const selected = widget === this._current;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
  }

  /** Arrow keys move between tabs, as the WAI-ARIA tabs pattern has it. */
  private _onKeyDown = (event: KeyboardEvent): void => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    const at = this._sections.findIndex(s => s.widget === this._current);
    if (!step || at < 0) {
      return;
    }
    event.preventDefault();
    const n = this._sections.length;
    const next = this._sections[(at + step + n) % n];
    this.select(next.widget);
    next.tab.focus();
  };

  private _reveal: (panel: MLTrackPanel) => void;
  private _tabs: HTMLElement;
  private _body: Panel;
  private _sections: ISection[] = [];
  private _current: Widget | null = null;
  /** A restored section not added yet (`restoreSection`). */
  private _wanted: string | null = null;
  /** Whether a restored choice holds (a later first-ranked section does not take over). */
  private _restored = false;
  private _currentChanged = new Signal<this, Widget>(this);
}
