/**
 * The main-area tabs of ML Track (checkpoint, diff, run, runs table, compare) as one kind
 * of thing: each kind has a `WidgetTracker` wired to JupyterLab's layout restorer with the
 * command and args that reopen it, so the tabs come back after a reload (issue 17.6,
 * 18.5); each tab may stand for a deep link, which the address bar shows while the tab is
 * active and its "Copy link" button copies.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { linkParam, TabLink, withTabLink } from './links';

/** What each tab was opened with: the restorer reruns its kind's command with it. */
const tabArgs = new WeakMap<Widget, ReadonlyPartialJSONObject>();
/** The deep link each tab stands for. */
const tabLinks = new WeakMap<Widget, TabLink>();
/** The active main-area widget, as `followActiveTab` last saw it. */
let activeTab: Widget | null = null;

/** The full URL of `link` (`<base>/lab?mltrack-run=<id>`), to paste to a colleague. */
export function linkUrl(link: TabLink): string {
  const [param, value] = linkParam(link);
  const query = new URLSearchParams([[param, value]]).toString();
  return URLExt.join(PageConfig.getBaseUrl(), 'lab') + '?' + query;
}

/** The deep link of a tab, or null. */
export function tabLink(widget: Widget | null): TabLink | null {
  return (widget && tabLinks.get(widget)) ?? null;
}

/** Put the active tab's link in the address bar (none for other tabs), keeping history. */
function showLink(widget: Widget | null): void {
  const href = window.location.href;
  const next = withTabLink(href, tabLink(widget));
  if (next !== href) {
    window.history.replaceState(window.history.state, '', next);
  }
}

/**
 * Keep the address bar on the active tab's deep link. Call once; the shell's current
 * widget is the main-area tab last activated (a sidebar taking focus leaves it).
 */
export function followActiveTab(shell: JupyterFrontEnd.IShell): void {
  const update = (): void => {
    activeTab = shell.currentWidget;
    showLink(activeTab);
  };
  shell.currentChanged?.connect(update);
}

export namespace MainTabs {
  export interface IOptions {
    app: JupyterFrontEnd;
    restorer: ILayoutRestorer | null;
    trans: TranslationBundle;
  }

  export interface IOpenOptions {
    /** DOM id of the tab: the same id reveals the open tab instead of a second one. */
    id: string;
    /** The args of the kind's command that reopen this tab. */
    args: ReadonlyPartialJSONObject;
    link?: TabLink;
    icon?: LabIcon;
    make: () => Widget;
  }
}

export class MainTabs {
  constructor(options: MainTabs.IOptions) {
    this._app = options.app;
    this._restorer = options.restorer;
    this._trans = options.trans;
  }

  /**
   * Register a kind: tabs of it are restored after a reload by running `command` with
   * their args. Call while the plugin activates (the restorer reads its state then).
   */
  addKind(kind: string, command: string): WidgetTracker<MainAreaWidget> {
    const tracker = new WidgetTracker<MainAreaWidget>({
      namespace: `mltrack-${kind}`
    });
    this._trackers.set(kind, tracker);
    void this._restorer?.restore(tracker, {
      command,
      args: widget => tabArgs.get(widget) ?? {},
      name: widget => widget.id
    });
    return tracker;
  }

  tracker(kind: string): WidgetTracker<MainAreaWidget> | undefined {
    return this._trackers.get(kind);
  }

  /** The open tab `id` of any kind, or undefined. */
  find(id: string): MainAreaWidget | undefined {
    for (const tracker of this._trackers.values()) {
      const found = tracker.find(w => w.id === id);
      if (found) {
        return found;
      }
    }
    return undefined;
  }

  /** Reveal tab `options.id`, or make it: added to its kind's tracker and activated. */
  open(kind: string, options: MainTabs.IOpenOptions): MainAreaWidget {
    const shell = this._app.shell;
    const open = this.find(options.id);
    if (open) {
      shell.activateById(open.id);
      return open;
    }
    const tracker = this._trackers.get(kind);
    if (!tracker) {
      throw new Error(`jupyter-mltrack: unknown tab kind ${kind}`);
    }
    const content = options.make();
    const widget = new MainAreaWidget({ content });
    widget.id = options.id;
    if (options.icon) {
      widget.title.icon = options.icon;
    }
    widget.title.closable = true;
    tabArgs.set(widget, options.args);
    if (options.link) {
      this.setLink(widget, options.link);
    }
    void tracker.add(widget);
    shell.add(widget, 'main');
    shell.activateById(widget.id);
    return widget;
  }

  /** The tab's state changed (a new query): save its args and link for the next reload. */
  update(
    widget: MainAreaWidget,
    args: ReadonlyPartialJSONObject,
    link?: TabLink
  ): void {
    tabArgs.set(widget, args);
    if (link) {
      this.setLink(widget, link);
    }
    for (const tracker of this._trackers.values()) {
      if (tracker.has(widget)) {
        void tracker.save(widget);
      }
    }
  }

  /** Set the deep link of a tab, with its "Copy link" button on first call. */
  setLink(widget: MainAreaWidget, link: TabLink): void {
    const first = !tabLinks.has(widget);
    tabLinks.set(widget, link);
    if (first && !widget.toolbar.isDisposed) {
      widget.toolbar.addItem(
        'copy-link',
        new CopyLinkButton(widget, this._trans)
      );
    }
    if (widget === activeTab) {
      showLink(widget);
    }
  }

  private _app: JupyterFrontEnd;
  private _restorer: ILayoutRestorer | null;
  private _trans: TranslationBundle;
  private _trackers = new Map<string, WidgetTracker<MainAreaWidget>>();
}

/** Toolbar button copying the tab's deep link (read when clicked: it may change). */
class CopyLinkButton extends Widget {
  constructor(tab: Widget, trans: TranslationBundle) {
    super({ node: document.createElement('button') });
    const node = this.node as HTMLButtonElement;
    node.type = 'button';
    node.className = 'jp-ToolbarButtonComponent jp-mltrack-copy-link';
    node.textContent = trans.__('Copy link');
    node.setAttribute('aria-label', trans.__('Copy a link to this tab'));
    const url = (): string => {
      const link = tabLink(tab);
      return link ? linkUrl(link) : '';
    };
    node.addEventListener('mouseenter', () => (node.title = url()));
    node.addEventListener('click', () => {
      const link = url();
      if (link) {
        Clipboard.copyToSystem(link);
        Notification.info(trans.__('Link copied'), { autoClose: 2000 });
      }
    });
  }
}
