/**
 * What a diff tab's title says: the notebook and both sides, "demo.ipynb: baseline → lr 0.05",
 * with a checkpoint's name, else its trigger and a short time ("run at 14:02"), so two diff
 * tabs can be told apart at a glance (a bare "Checkpoint 7a2…" could not).
 */
import { PathExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans, pageLocale } from '../i18n';
import { toMillis } from '../time';
import { CURRENT, ICheckpoint } from '../tokens';

/** The fields of a checkpoint the title reads. */
export type ITitleEntry = Pick<
  ICheckpoint,
  'id' | 'name' | 'trigger' | 'created_at' | 'notebook_path'
>;

/** "14:02" today, "Dec 3, 14:02" another day of this year, else with the year. */
export function shortTime(
  value: number | string,
  now: number = Date.now()
): string {
  const millis = toMillis(value);
  if (!Number.isFinite(millis)) {
    return String(value);
  }
  const date = new Date(millis);
  const today = new Date(now);
  const time: Intl.DateTimeFormatOptions = {
    hour: '2-digit',
    minute: '2-digit'
  };
  if (date.toDateString() === today.toDateString()) {
    return date.toLocaleTimeString(pageLocale(), time);
  }
  return date.toLocaleString(pageLocale(), {
    ...time,
    month: 'short',
    day: 'numeric',
    ...(date.getFullYear() === today.getFullYear() ? {} : { year: 'numeric' })
  });
}

/** One side of a diff in a few words: its name, else "run at 14:02"; `current` for the file. */
export function sideLabel(
  id: string,
  entry: ITitleEntry | null,
  trans: TranslationBundle = defaultTrans(),
  now: number = Date.now()
): string {
  if (id === CURRENT) {
    return trans.__('current');
  }
  if (!entry) {
    return id.slice(0, 8);
  }
  if (entry.name) {
    return entry.name;
  }
  return trans.__(
    '%1 at %2',
    entry.trigger || trans.__('checkpoint'),
    shortTime(entry.created_at, now)
  );
}

/**
 * The tab title of the diff of `base` → `remote`: "demo.ipynb: baseline → lr 0.05". The
 * notebook is named once, or on each side when they differ; `path` names the file that
 * `current` stands for.
 */
export function diffTitle(
  base: { id: string; entry: ITitleEntry | null },
  remote: { id: string; entry: ITitleEntry | null },
  path?: string,
  trans: TranslationBundle = defaultTrans(),
  now: number = Date.now()
): string {
  const left = sideLabel(base.id, base.entry, trans, now);
  const right = sideLabel(remote.id, remote.entry, trans, now);
  const basePath = base.entry?.notebook_path ?? path ?? '';
  const remotePath =
    remote.id === CURRENT
      ? (path ?? basePath)
      : (remote.entry?.notebook_path ?? basePath);
  const name = (p: string): string => PathExt.basename(p);
  if (!basePath) {
    return trans.__('%1 → %2', left, right);
  }
  if (remotePath && remotePath !== basePath) {
    return trans.__(
      '%1: %2 → %3: %4',
      name(basePath),
      left,
      name(remotePath),
      right
    );
  }
  return trans.__('%1: %2 → %3', name(basePath), left, right);
}
