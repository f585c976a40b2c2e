/**
 * JupyterLab plugins of jupyter-mltrack (src/plugins/): the ML Track panel (one left panel
 * with a section per part), checkpoints (history sidebar, diffs,
 * deep links, settings), runs (table, run view, compare, runs sidebar), and the kernel comm
 * (run-start checkpoints saved and linked by the lab).
 */
import { kernelCommPlugin } from './comm';
import { checkpointsPlugin } from './plugins/checkpoints';
import { panelPlugin } from './plugins/panel';
import { runsPlugin } from './plugins/runs';

export default [panelPlugin, checkpointsPlugin, kernelCommPlugin, runsPlugin];

// The public surface for other extensions: the IMLTrack token, command ids, shapes. The
// builder shares this package's main module as a singleton, so they import it from here.
export * from './tokens';
