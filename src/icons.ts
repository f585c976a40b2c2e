import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A 24-unit icon drawn from path data. `jp-icon3` lets the theme colour it, so every icon
 * follows light and dark themes without its own CSS.
 */
function icon(name: string, paths: string[]): LabIcon {
  const body = paths.map(d => `<path d="${d}"/>`).join('');
  return new LabIcon({
    name: `jupyter-mltrack:${name}`,
    svgstr:
      '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
      `<g class="jp-icon3" fill="#616161">${body}</g></svg>`
  });
}

/** A rising line over axes. */
export const mltrackIcon = icon('chart', [
  'M3 3h2v16h16v2H3z',
  'M6.7 16.7 5.3 15.3l5-5 3 3 5.3-5.3H16V6h6v6h-2V9.4l-6.7 6.7-3-3z'
]);

/** A flag on a pole: "take a checkpoint here". */
export const checkpointIcon = icon('checkpoint', [
  'M5 2h2v20H5z',
  'M8 3h10l-2.5 4L18 11H8z'
]);

/** Two columns with a changed line each: a side-by-side diff. */
export const diffIcon = icon('diff', [
  'M3 3h8v18H3zm2 2v14h4V5zM13 3h8v18h-8zm2 2v14h4V5z',
  'M5.5 9h3v2h-3zM15.5 13h3v2h-3z'
]);

/** Rows of a table with a rising line: the runs. */
export const runsIcon = icon('runs', [
  'M3 4h18v2H3zM3 9h8v2H3zM3 14h8v2H3zM3 19h8v2H3z',
  'm13.6 20.4-1.2-1.6 4-3 2 1.5 2.4-4.2 1.7 1-3.5 6.1-2.6-2z'
]);
