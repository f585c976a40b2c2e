import { LabIcon } from '@jupyterlab/ui-components';

/** Rows of a table with a rising line: the runs. `jp-icon3` lets the theme colour it. */
const runsSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18v2H3zM3 9h8v2H3zM3 14h8v2H3zM3 19h8v2H3z"/>
    <path d="m13.6 20.4-1.2-1.6 4-3 2 1.5 2.4-4.2 1.7 1-3.5 6.1-2.6-2z"/>
  </g>
</svg>`;

export const runsIcon = new LabIcon({
  name: 'jupyter-mltrack:runs',
  svgstr: runsSvg
});
