/**
 * Saved views of the runs table (query, sort, columns and widths) and the column layout
 * chosen for each project, in the settings registry (`jupyter-mltrack:runs`, keys `views`
 * and `layouts`), so they follow the user across sessions and can be edited in the settings
 * editor. Without a registry they live in memory.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { cleanWidths, IColumnLayout, ILayoutStore, ISavedView } from './model';

/** The part of `ISettingRegistry.ISettings` used here (tests pass a fake). */
export interface IViewSettings {
  get(key: string): { composite: unknown };
  set(key: string, value: unknown): Promise<void>;
  changed: ISignal<unknown, void>;
}

/** Keep only well-formed views; names unique, the last one wins. */
export function readViews(raw: unknown): ISavedView[] {
  if (!Array.isArray(raw)) {
    return [];
  }
  const byName = new Map<string, ISavedView>();
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    const v = item as Record<string, unknown>;
    if (typeof v.name !== 'string' || !v.name.trim()) {
      continue;
    }
    const view: ISavedView = {
      name: v.name.trim(),
      query: typeof v.query === 'string' ? v.query : '',
      sort: typeof v.sort === 'string' ? v.sort : '',
      columns: stringList(v.columns) ?? []
    };
    const widths = cleanWidths(v.widths);
    if (Object.keys(widths).length) {
      view.widths = widths;
    }
    byName.set(view.name, view);
  }
  return [...byName.values()];
}

function stringList(raw: unknown): string[] | null {
  return Array.isArray(raw)
    ? raw.filter((c): c is string => typeof c === 'string')
    : null;
}

/** Keep only well-formed layouts, by project. */
export function readLayouts(raw: unknown): Record<string, IColumnLayout> {
  const out: Record<string, IColumnLayout> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return out;
  }
  for (const [project, item] of Object.entries(raw)) {
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    const v = item as Record<string, unknown>;
    const columns = stringList(v.columns);
    out[project] = {
      columns: columns && columns.length ? columns : null,
      widths: cleanWidths(v.widths)
    };
  }
  return out;
}

export class ViewsStore implements ILayoutStore {
  constructor(settings: IViewSettings | null = null) {
    if (settings) {
      this.connect(settings);
    }
  }

  /** Read and write the views in `settings` from now on (they load after the views). */
  connect(settings: IViewSettings): void {
    this._settings = settings;
    const read = (): void => {
      this._views = readViews(settings.get('views').composite);
      this._layouts = readLayouts(settings.get('layouts').composite);
      this._changed.emit();
    };
    settings.changed.connect(read);
    read();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get views(): ISavedView[] {
    return this._views.map(v => ({ ...v, columns: [...v.columns] }));
  }

  find(name: string): ISavedView | undefined {
    return this._views.find(v => v.name === name);
  }

  /** Add or replace (by name). */
  async save(view: ISavedView): Promise<void> {
    const next = this._views.filter(v => v.name !== view.name);
    next.push({ ...view, columns: [...view.columns] });
    await this._write(next);
  }

  /** The columns chosen for `project` ('*' for the table across projects), or null. */
  layout(project: string): IColumnLayout | null {
    const layout = this._layouts[project];
    return layout
      ? {
          columns: layout.columns ? [...layout.columns] : null,
          widths: { ...layout.widths }
        }
      : null;
  }

  /** Keep `layout` for `project`; an automatic one with default widths is forgotten. */
  saveLayout(project: string, layout: IColumnLayout): void {
    const next = { ...this._layouts };
    if (!layout.columns && Object.keys(layout.widths).length === 0) {
      delete next[project];
    } else {
      next[project] = {
        columns: layout.columns ? [...layout.columns] : null,
        widths: { ...layout.widths }
      };
    }
    this._layouts = next;
    // Each drag of a column edge writes once, when the drag ends (grid.ts).
    this._settings?.set('layouts', next).catch(reason => {
      console.error('jupyter-mltrack: cannot save the column layout', reason);
    });
  }

  async remove(name: string): Promise<void> {
    await this._write(this._views.filter(v => v.name !== name));
  }

  private async _write(views: ISavedView[]): Promise<void> {
    this._views = views;
    this._changed.emit();
    // The registry's `changed` then confirms (or corrects) the list.
    await this._settings?.set(
      'views',
      views.map(v => ({ ...v }))
    );
  }

  private _settings: IViewSettings | null = null;
  private _views: ISavedView[] = [];
  private _layouts: Record<string, IColumnLayout> = {};
  private _changed = new Signal<this, void>(this);
}
