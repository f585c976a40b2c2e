/**
 * Times of checkpoints: the store keeps epoch seconds, the list shows "3 min ago" and the
 * hover title the absolute local time, both in the lab's language.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans, pageLocale } from './i18n';

/** Milliseconds since the epoch, from epoch seconds or an ISO string; NaN if unreadable. */
export function toMillis(value: number | string): number {
  if (typeof value === 'number') {
    return value * 1000;
  }
  const numeric = Number(value);
  if (value.trim() !== '' && Number.isFinite(numeric)) {
    return numeric * 1000;
  }
  return Date.parse(value);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60]
];

/**
 * "just now", "5 minutes ago", "yesterday"… relative to `now` (ms), in the page's locale
 * (`document.documentElement.lang`, which the lab sets to its language; English by default).
 */
export function formatRelative(
  value: number | string,
  now: number = Date.now(),
  trans: TranslationBundle = defaultTrans()
): string {
  const millis = toMillis(value);
  if (!Number.isFinite(millis)) {
    return trans.__('unknown time');
  }
  const seconds = Math.round((millis - now) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 45) {
    return trans.__('just now');
  }
  const format = new Intl.RelativeTimeFormat(pageLocale(), {
    numeric: 'auto'
  });
  for (const [unit, size] of UNITS) {
    if (magnitude >= size) {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return format.format(Math.round(seconds / 60), 'minute');
}

/** Absolute local date and time, to the second, for titles and headers. */
export function formatAbsolute(value: number | string): string {
  const millis = toMillis(value);
  if (!Number.isFinite(millis)) {
    return String(value);
  }
  return new Date(millis).toLocaleString(pageLocale(), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
}
