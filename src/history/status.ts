/**
 * The store status the history sidebar shows (from `GET health`), kept apart from the DOM
 * so it can be unit tested. The checkpoint history is `model.ts`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { defaultTrans } from '../i18n';
import { IHealth } from '../tokens';

/** `idle` until the first refresh, then `loading` and `ready` or `error`. */
export type StoreStatus = 'idle' | 'loading' | 'ready' | 'error';

export namespace StoreStatusModel {
  export interface IOptions {
    /** Reads the server's health; `fetchHealth` of `api.ts` in the lab. */
    fetchHealth: () => Promise<IHealth>;
    /** Words of `statusText`. */
    trans?: TranslationBundle;
  }
}

export class StoreStatusModel implements IDisposable {
  constructor(options: StoreStatusModel.IOptions) {
    this._fetchHealth = options.fetchHealth;
    this._trans = options.trans ?? defaultTrans();
  }

  /** Emitted whenever anything the view shows changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get status(): StoreStatus {
    return this._status;
  }

  /** The last health answer; kept while a refresh is in flight. */
  get health(): IHealth | null {
    return this._health;
  }

  /** Store URL as the server reports it (password masked), or '' before it is known. */
  get storeUrl(): string {
    return this._health?.store ?? '';
  }

  get schemaRevision(): string {
    return this._health?.schema_revision ?? '';
  }

  /** One line for the status area: loading, connected, or why the server is unreachable. */
  get statusText(): string {
    switch (this._status) {
      case 'idle':
      case 'loading':
        return this._trans.__('Connecting to the ML Track server extension…');
      case 'ready': {
        const health = this._health as IHealth;
        return this._trans.__(
          'Connected: %1 store, jupyter-mltrack %2',
          health.backend,
          health.version
        );
      }
      case 'error':
        return this._trans.__(
          'Cannot reach the ML Track server extension: %1',
          this._error
        );
    }
  }

  /** Why the last refresh failed, or '' when it did not. */
  get errorMessage(): string {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask the server for its health again. Never rejects: a failure becomes the `error`
   * status. When refreshes overlap, only the latest one's answer is kept.
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const request = ++this._requests;
    this._setStatus('loading');
    try {
      const health = await this._fetchHealth();
      if (request === this._requests && !this._isDisposed) {
        this._health = health;
        this._error = '';
        this._setStatus('ready');
      }
    } catch (reason) {
      if (request === this._requests && !this._isDisposed) {
        this._error = Private.describe(reason);
        this._setStatus('error');
      }
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _setStatus(status: StoreStatus): void {
    this._status = status;
    this._changed.emit();
  }

  private _fetchHealth: () => Promise<IHealth>;
  private _trans: TranslationBundle;
  private _status: StoreStatus = 'idle';
  private _health: IHealth | null = null;
  private _error = '';
  private _requests = 0;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  export function describe(reason: unknown): string {
    if (reason instanceof Error) {
      return reason.message || reason.name;
    }
    return String(reason);
  }
}
