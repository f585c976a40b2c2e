/**
 * The panel plugin (`jupyter-mltrack:panel`): one "ML Track" left panel with a tab per
 * section. The checkpoints plugin adds the history sidebar to it and the runs plugin the
 * runs of the active notebook; each keeps owning its own widget.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { TRANSLATION_DOMAIN } from '../i18n';
import { IMLTrackPanel, MLTrackPanel } from '../panel/panel';

export const PANEL_PLUGIN_ID = 'jupyter-mltrack:panel';

/** Left-area rank: below the core sidebars (file browser 100 ... extensions 1000 is last). */
const PANEL_RANK = 600;

export const panelPlugin: JupyterFrontEndPlugin<IMLTrackPanel> = {
  id: PANEL_PLUGIN_ID,
  description:
    'The ML Track left panel, with labelled sections for checkpoints and runs.',
  autoStart: true,
  provides: IMLTrackPanel,
  optional: [ILabShell, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): IMLTrackPanel => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const shell = labShell ?? app.shell;
    const panel = new MLTrackPanel({
      reveal: p => shell.activateById(p.id),
      trans
    });
    shell.add(panel, 'left', { rank: PANEL_RANK, type: 'ML Track' });
    restorer?.add(panel, panel.id);
    return panel;
  }
};
