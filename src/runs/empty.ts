/**
 * What the runs table says when nothing matches: that nothing matches (not "0 runs" over a
 * blank grid), and how to widen the query, from what the query holds. Plain text; the view
 * puts it in `textContent`.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans, pageLocale } from '../i18n';
import { projectOfQuery } from './model';

export interface IEmptyState {
  /** One sentence: nothing matches, or there are no runs yet. */
  title: string;
  /** Ways to widen the query, most useful first. */
  hints: string[];
  /** Whether clearing the query would show runs (the view offers a button). */
  canClear: boolean;
}

/**
 * The empty table's message for `query`. `everything` is how many runs there are without
 * the query (in the table's project), or null when not known yet.
 */
export function emptyState(
  query: string,
  everything: number | null,
  trans: TranslationBundle = defaultTrans()
): IEmptyState {
  const q = query.trim();
  if (!q) {
    return {
      title: trans.__('No runs yet.'),
      hints: [
        trans.__(
          'Start one from a notebook: run = jupyter_mltrack.init_run(project="…"), then log to it.'
        )
      ],
      canClear: false
    };
  }
  const hints: string[] = [];
  const canClear = everything === null || everything > 0;
  if (everything !== null && everything > 0) {
    hints.push(
      trans._n(
        'Clear the query to see the %2 run there is.',
        'Clear the query to see all %2 runs.',
        everything,
        everything.toLocaleString(pageLocale())
      )
    );
  }
  if (/\bsys\/state\b/.test(q)) {
    hints.push(
      trans.__(
        'The query keeps only some states: remove its sys/state condition to see runs in every state (running, finished, failed, aborted, crashed).'
      )
    );
  }
  if (/\bsys\/(creation|ending|ping|modification)_time\b/.test(q)) {
    hints.push(
      trans.__('Widen the time range, e.g. sys/creation_time > "-30d".')
    );
  }
  if (projectOfQuery(q) !== null) {
    hints.push(
      trans.__(
        'Check the project name: sys/project = "%1" must match it exactly.',
        projectOfQuery(q)!
      )
    );
  }
  if (/\bAND\b/i.test(q)) {
    hints.push(
      trans.__('Drop one of the AND conditions, or join them with OR.')
    );
  }
  if (/[A-Za-z_][\w.-]*\/[\w./-]+/.test(q.replace(/\bsys\/\w+/g, ''))) {
    hints.push(
      trans.__(
        'A condition on a field matches only runs that have it: check the path with Tab completion.'
      )
    );
  }
  return {
    title: trans.__('No runs match %1.', q),
    hints,
    canClear
  };
}
