import { LabIcon } from '@jupyterlab/ui-components';

/** A rising line over axes. `jp-icon3` lets the theme colour it. */
const chartSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M6.7 16.7 5.3 15.3l5-5 3 3 5.3-5.3H16V6h6v6h-2V9.4l-6.7 6.7-3-3z"/>
  </g>
</svg>`;

/** A flag on a pole: "take a checkpoint here". */
const checkpointSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M5 2h2v20H5z"/>
    <path d="M8 3h10l-2.5 4L18 11H8z"/>
  </g>
</svg>`;

/** Two columns with a changed line each: a side-by-side diff. */
const diffSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h8v18H3zm2 2v14h4V5zM13 3h8v18h-8zm2 2v14h4V5z"/>
    <path d="M5.5 9h3v2h-3zM15.5 13h3v2h-3z"/>
  </g>
</svg>`;

/** Rows of a table with a rising line: the runs. `jp-icon3` lets the theme colour it. */
const runsSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18v2H3zM3 9h8v2H3zM3 14h8v2H3zM3 19h8v2H3z"/>
    <path d="m13.6 20.4-1.2-1.6 4-3 2 1.5 2.4-4.2 1.7 1-3.5 6.1-2.6-2z"/>
  </g>
</svg>`;

export const mltrackIcon = new LabIcon({
  name: 'jupyter-mltrack:chart',
  svgstr: chartSvg
});

export const checkpointIcon = new LabIcon({
  name: 'jupyter-mltrack:checkpoint',
  svgstr: checkpointSvg
});

export const diffIcon = new LabIcon({
  name: 'jupyter-mltrack:diff',
  svgstr: diffSvg
});

export const runsIcon = new LabIcon({
  name: 'jupyter-mltrack:runs',
  svgstr: runsSvg
});
