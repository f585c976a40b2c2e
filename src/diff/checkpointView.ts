/**
 * A checkpoint opened read-only: its header and every cell, rendered by nbdime's widgets
 * with untrusted outputs (nothing runs, nothing can be edited or saved).
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';

import { el } from '../dom';
import { defaultTrans } from '../i18n';
import { formatAbsolute } from '../time';
import { CommandIDs, ICheckpointWithContent } from '../tokens';
import { FoldedNotebookDiff } from './folded';

export namespace CheckpointView {
  export interface IOptions {
    id: string;
    rendermime: IRenderMimeRegistry;
    commands: CommandRegistry;
    fetch: () => Promise<ICheckpointWithContent>;
    trans?: TranslationBundle;
    /** Handed to nbdime's widgets for their own words. */
    translator?: ITranslator;
  }
}

export class CheckpointView extends Panel {
  constructor(options: CheckpointView.IOptions) {
    super();
    this._options = options;
    const trans = (this._trans = options.trans ?? defaultTrans());
    this.addClass('jp-mltrack-viewer');
    this.node.dataset.id = options.id;
    this.title.label = trans.__('Checkpoint %1', options.id.slice(0, 8));
    this._header = new Widget({ node: el('div', 'jp-mltrack-viewer-header') });
    this._body = new Panel();
    this._body.addClass('jp-mltrack-diff-body');
    this._status = el(
      'p',
      'jp-mltrack-diff-status',
      trans.__('Loading the checkpoint…')
    );
    this._body.node.appendChild(this._status);
    this.addWidget(this._header);
    this.addWidget(this._body);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._loading) {
      this._loading = true;
      void this._load();
    }
  }

  private async _load(): Promise<void> {
    const trans = this._trans;
    let entry: ICheckpointWithContent;
    try {
      entry = await this._options.fetch();
    } catch (reason) {
      this._status.textContent = trans.__(
        'Cannot open the checkpoint: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
      this._status.classList.add('jp-mltrack-error');
      this.node.dataset.state = 'error';
      return;
    }
    const name = entry.name || trans.__('Checkpoint %1', entry.id.slice(0, 8));
    const created = formatAbsolute(entry.created_at);
    this.title.label = trans.__('%1 (read-only)', name);
    this.title.caption = trans.__('%1 at %2', entry.notebook_path, created);
    const actions = el('div', 'jp-mltrack-viewer-actions');
    for (const command of [CommandIDs.compareCurrent, CommandIDs.restoreCopy]) {
      const button = el(
        'button',
        'jp-mltrack-button jp-mod-styled',
        this._options.commands.label(command, { id: entry.id })
      );
      button.type = 'button';
      button.addEventListener('click', () => {
        void this._options.commands.execute(command, { id: entry.id });
      });
      actions.appendChild(button);
    }
    this._header.node.replaceChildren(
      el('h2', 'jp-mltrack-viewer-name', name),
      el(
        'p',
        'jp-mltrack-viewer-detail',
        [
          entry.notebook_path,
          created,
          entry.trigger,
          ...(entry.author ? [entry.author] : []),
          trans.__('read-only')
        ].join(' · ')
      ),
      el('p', 'jp-mltrack-description', entry.description),
      actions
    );
    if (entry.validation_warning) {
      const banner = el('div', 'jp-mltrack-viewer-warning');
      banner.setAttribute('role', 'note');
      banner.append(
        el(
          'strong',
          '',
          trans.__('nbformat calls this notebook invalid (Jupyter opens it):')
        ),
        el('span', 'jp-mltrack-viewer-warning-text', entry.validation_warning)
      );
      this._header.node.insertBefore(banner, actions);
    }
    this._status.hidden = true;
    const view = new FoldedNotebookDiff({
      model: new NotebookDiffModel(entry.content, []),
      rendermime: this._options.rendermime,
      fold: false,
      trans,
      translator: this._options.translator
    });
    this._body.addWidget(view);
    this.node.dataset.state = 'ready';
    await view.init();
  }

  private _options: CheckpointView.IOptions;
  private _trans: TranslationBundle;
  private _loading = false;
  private _header: Widget;
  private _body: Panel;
  private _status: HTMLElement;
}
