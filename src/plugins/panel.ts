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
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { TRANSLATION_DOMAIN } from '../i18n';
import { IMLTrackPanel, MLTrackPanel } from '../panel/panel';

export const PANEL_PLUGIN_ID = 'jupyter-mltrack:panel';

/** Left-area rank: below the core sidebars (file browser 100 ... extensions 1000 is last). */
const PANEL_RANK = 600;
/**
 * State-database key of the section shown (issue 18.5): a reload shows the same tab. UI
 * state of this workspace, not a preference, so the state DB rather than the settings.
 */
const STATE_KEY = `${PANEL_PLUGIN_ID}:section`;

export const panelPlugin: JupyterFrontEndPlugin<IMLTrackPanel> = {
  id: PANEL_PLUGIN_ID,
  description:
    'The ML Track left panel, with labelled sections for checkpoints and runs.',
  autoStart: true,
  provides: IMLTrackPanel,
  optional: [ILabShell, ILayoutRestorer, ITranslator, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    state: IStateDB | null
  ): IMLTrackPanel => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const shell = labShell ?? app.shell;
    const panel = new MLTrackPanel({
      reveal: p => shell.activateById(p.id),
      trans
    });
    shell.add(panel, 'left', { rank: PANEL_RANK, type: 'ML Track' });
    restorer?.add(panel, panel.id);
    if (state) {
      // Restore first, then keep each change (the sections are added meanwhile).
      void state
        .fetch(STATE_KEY)
        .then(saved => {
          const section = (saved as ReadonlyPartialJSONObject | undefined)
            ?.section;
          if (typeof section === 'string' && section) {
            panel.restoreSection(section);
          }
        })
        .catch(reason =>
          console.warn('jupyter-mltrack: no saved panel section', reason)
        )
        .then(() =>
          panel.currentChanged.connect((_, shown) => {
            void state.save(STATE_KEY, { section: shown.id });
          })
        );
    }
    return panel;
  }
};
