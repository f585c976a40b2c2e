/**
 * Saved views of the runs table (query + sort + added columns) in the settings registry
 * (`jupyter-mltrack:runs`, key `views`), so they follow the user across sessions and can be
 * edited in the settings editor. Without a registry they live in memory.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ISavedView } from './model';

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
    byName.set(v.name.trim(), {
      name: v.name.trim(),
      query: typeof v.query === 'string' ? v.query : '',
      sort: typeof v.sort === 'string' ? v.sort : '',
      columns: Array.isArray(v.columns)
        ? v.columns.filter((c): c is string => typeof c === 'string')
        : []
    });
  }
  return [...byName.values()];
}

export class ViewsStore {
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
  private _changed = new Signal<this, void>(this);
}
