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
