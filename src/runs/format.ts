/**
 * How the runs UI writes values: times in local time, durations as `1h 02m`, numbers to
 * six significant digits, tag lists comma-separated. Always plain text (callers put it in
 * `textContent`).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { defaultTrans } from '../i18n';
import { NOTEBOOK_COLUMN, sysField } from '../sysfields';
import { CellValue } from './api';

/** `1h 02m`, `3m 05s`, `42s`, `2d 3h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Epoch seconds as `2026-11-22 21:40:13` in local time. */
export function formatTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}

/** Text of one cell of the runs table. */
export function formatCell(
  column: string,
  value: CellValue | undefined
): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.join(', ');
  }
  if (typeof value === 'number') {
    const type = sysField(column)?.type;
    if (type === 'time') {
      return formatTime(value);
    }
    if (type === 'duration') {
      return formatDuration(value);
    }
    return formatNumber(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  return String(value);
}

/** Any value of a run's field as text (objects as compact JSON). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && value.every(v => typeof v === 'string')) {
    return value.join(', ');
  }
  return JSON.stringify(value);
}

/**
 * Header label: the registry's short label (`sys/creation_time` → `created`), translated;
 * other columns are their path.
 */
export function columnLabel(
  column: string,
  trans: TranslationBundle = defaultTrans()
): string {
  if (column === NOTEBOOK_COLUMN) {
    return trans.__('notebook');
  }
  const label = sysField(column)?.label;
  return label ? trans.__(label) : column;
}
