/**
 * A runs table view (query, sort, columns, widths) as one URL parameter, so a view can be
 * shared: `<base>/lab?mltrack-view=<value>`. The value is the view as JSON in base64url
 * (URL-safe, no padding), so any query text survives mail clients and chat apps.
 *
 * Whoever reads the page's URL at start (the links of src/links.ts) hands the value to the
 * `mltrack:open-runs-table` command as `{ view: value }`; the table then applies it.
 */
import { PageConfig, URLExt } from '@jupyterlab/coreutils';

import { ISavedView } from './model';

/** The query parameter of a shared view. */
export const LINK_VIEW = 'mltrack-view';

/** Longest value accepted (a URL stays well under browsers' limits). */
const MAX_LENGTH = 16_000;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  bytes.forEach(b => (binary += String.fromCharCode(b)));
  return btoa(binary)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function fromBase64Url(value: string): string {
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, c => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The parameter value of `view` (its name included, so the receiver can save it). */
export function encodeView(view: ISavedView): string {
  const compact: Record<string, unknown> = {
    n: view.name,
    q: view.query,
    s: view.sort,
    c: view.columns
  };
  if (view.widths && Object.keys(view.widths).length) {
    compact.w = view.widths;
  }
  return toBase64Url(JSON.stringify(compact));
}

/** The view in a parameter value, or null when it is not one (never throws). */
export function decodeView(value: string): ISavedView | null {
  if (!value || value.length > MAX_LENGTH) {
    return null;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fromBase64Url(value));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return null;
  }
  const v = raw as Record<string, unknown>;
  const widths: Record<string, number> = {};
  if (v.w && typeof v.w === 'object') {
    for (const [k, w] of Object.entries(v.w as Record<string, unknown>)) {
      if (typeof w === 'number' && Number.isFinite(w)) {
        widths[k] = w;
      }
    }
  }
  return {
    name: typeof v.n === 'string' ? v.n : '',
    query: typeof v.q === 'string' ? v.q : '',
    sort: typeof v.s === 'string' ? v.s : '',
    columns: Array.isArray(v.c)
      ? v.c.filter((c): c is string => typeof c === 'string')
      : [],
    widths
  };
}

/** The view of a page's query string (`?mltrack-view=…`), or null. */
export function viewOfSearch(search: string): ISavedView | null {
  const value = new URLSearchParams(search).get(LINK_VIEW);
  return value ? decodeView(value) : null;
}

/** The full URL that opens the runs table on `view`. */
export function viewUrl(view: ISavedView): string {
  const query = new URLSearchParams([[LINK_VIEW, encodeView(view)]]);
  return URLExt.join(PageConfig.getBaseUrl(), 'lab') + '?' + query.toString();
}
