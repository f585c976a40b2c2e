/**
 * Deep links a user pastes to a colleague on the same server:
 * `<base>/lab?mltrack-checkpoint=<id>` opens a checkpoint read-only,
 * `<base>/lab?mltrack-diff=<base>..<remote>` opens a diff (`remote` may be `current`).
 */
import { LINK_CHECKPOINT, LINK_DIFF } from './tokens';

export interface ILink {
  base: string;
  remote?: string;
}

/** The link in a query string (`?a=b&...`), or null when it holds none or a malformed one. */
export function parseLink(search: string): ILink | null {
  const params = new URLSearchParams(search);
  const diff = params.get(LINK_DIFF);
  if (diff) {
    const parts = diff.split('..');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      return null;
    }
    return { base: parts[0], remote: parts[1] };
  }
  const checkpoint = params.get(LINK_CHECKPOINT);
  return checkpoint ? { base: checkpoint } : null;
}

/** What a main-area tab stands for, as one deep link each (issue 17.6, 18.5). */
export type TabLink =
  | { kind: 'checkpoint'; id: string }
  /** The timeline's preview tab showing checkpoint `id`. */
  | { kind: 'timeline'; id: string }
  | { kind: 'diff'; base: string; remote: string }
  | { kind: 'run'; id: string }
  | { kind: 'compare'; ids: string[] }
  | { kind: 'runs'; query: string }
  /** A shared view of the runs table (its value: src/runs/viewLink.ts). */
  | { kind: 'view'; value: string };

/** The query parameter of each kind; every link parameter starts with `mltrack-`. */
export const LINK_PARAMS: Record<TabLink['kind'], string> = {
  checkpoint: LINK_CHECKPOINT,
  timeline: 'mltrack-timeline',
  diff: LINK_DIFF,
  run: 'mltrack-run',
  compare: 'mltrack-compare',
  runs: 'mltrack-runs',
  view: 'mltrack-view'
};

/** The parameter and value of `link` (`mltrack-diff`, `a..b`). */
export function linkParam(link: TabLink): [string, string] {
  const param = LINK_PARAMS[link.kind];
  switch (link.kind) {
    case 'checkpoint':
    case 'timeline':
    case 'run':
      return [param, link.id];
    case 'diff':
      return [param, `${link.base}..${link.remote}`];
    case 'compare':
      return [param, link.ids.join(',')];
    case 'runs':
      return [param, link.query];
    case 'view':
      return [param, link.value];
  }
}

/**
 * The tab link of a query string, or null. The first link parameter in the query wins;
 * a malformed value is no link (a diff needs two sides, a compare two runs).
 */
export function parseTabLink(search: string): TabLink | null {
  const pairs: [string, string][] = [];
  new URLSearchParams(search).forEach((value, param) =>
    pairs.push([param, value])
  );
  for (const [param, value] of pairs) {
    switch (param) {
      case LINK_CHECKPOINT:
        return value ? { kind: 'checkpoint', id: value } : null;
      case LINK_DIFF: {
        const sides = value.split('..');
        return sides.length === 2 && sides[0] && sides[1]
          ? { kind: 'diff', base: sides[0], remote: sides[1] }
          : null;
      }
      case LINK_PARAMS.timeline:
        return value ? { kind: 'timeline', id: value } : null;
      case LINK_PARAMS.run:
        return value ? { kind: 'run', id: value } : null;
      case LINK_PARAMS.compare: {
        const ids = value.split(',').filter(Boolean);
        return ids.length >= 2 ? { kind: 'compare', ids } : null;
      }
      case LINK_PARAMS.runs:
        return { kind: 'runs', query: value };
      case LINK_PARAMS.view:
        return value ? { kind: 'view', value } : null;
    }
  }
  return null;
}

/**
 * `href` with every ML Track link parameter removed and `link`'s set (none for null):
 * what the address bar shows while a tab is active. Other parameters are kept in order.
 */
export function withTabLink(href: string, link: TabLink | null): string {
  const url = new URL(href);
  const mine = new Set(Object.values(LINK_PARAMS));
  const present: string[] = [];
  url.searchParams.forEach((_value, param) => {
    if (mine.has(param) && !present.includes(param)) {
      present.push(param);
    }
  });
  if (!link && present.length === 0) {
    return href; // Nothing of ours: leave the query exactly as it is.
  }
  present.forEach(param => url.searchParams.delete(param));
  if (link) {
    const [param, value] = linkParam(link);
    url.searchParams.set(param, value);
  }
  return url.toString();
}
