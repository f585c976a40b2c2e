/**
 * Dialogs of the checkpoint actions. Names and descriptions are shown with `textContent`.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { defaultTrans } from './i18n';

/** Body of "Checkpoint now": optional name and description. */
class CheckpointForm
  extends Widget
  implements Dialog.IBodyWidget<{ name: string; description: string }>
{
  constructor(path: string, trans: TranslationBundle) {
    super();
    this.addClass('jp-mltrack-form');
    const intro = document.createElement('p');
    intro.textContent = trans.__(
      'Saves %1 and records it. Both fields are optional.',
      path
    );
    this._name = document.createElement('input');
    this._name.className = 'jp-mod-styled jp-mltrack-form-name';
    this._name.placeholder = trans.__('e.g. baseline before feature scaling');
    this._description = document.createElement('textarea');
    this._description.className = 'jp-mod-styled jp-mltrack-form-description';
    this._description.rows = 3;
    this.node.append(
      intro,
      labelled(trans.__('Name'), this._name),
      labelled(trans.__('Description'), this._description)
    );
  }

  getValue(): { name: string; description: string } {
    return {
      name: this._name.value.trim(),
      description: this._description.value.trim()
    };
  }

  private _name: HTMLInputElement;
  private _description: HTMLTextAreaElement;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const label = document.createElement('label');
  label.className = 'jp-mltrack-form-field';
  const span = document.createElement('span');
  span.textContent = text;
  label.append(span, control);
  return label;
}

/** Ask for a name and a description; null when cancelled. */
export async function askCheckpoint(
  path: string,
  trans: TranslationBundle = defaultTrans()
): Promise<{ name: string; description: string } | null> {
  const result = await showDialog({
    title: trans.__('Checkpoint now'),
    body: new CheckpointForm(path, trans),
    focusNodeSelector: 'input',
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Checkpoint') })
    ]
  });
  return result.button.accept && result.value ? result.value : null;
}

/** Ask to confirm a destructive action (all three texts translated); true when confirmed. */
export async function confirm(
  title: string,
  message: string,
  action: string,
  trans: TranslationBundle = defaultTrans()
): Promise<boolean> {
  const body = document.createElement('p');
  body.textContent = message;
  const result = await showDialog({
    title,
    body: new Widget({ node: body }),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: action })
    ]
  });
  return result.button.accept;
}
