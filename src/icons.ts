import { LabIcon } from '@jupyterlab/ui-components';

/** A rising line over axes. `jp-icon3` lets the theme colour it. */
const chartSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M6.7 16.7 5.3 15.3l5-5 3 3 5.3-5.3H16V6h6v6h-2V9.4l-6.7 6.7-3-3z"/>
  </g>
</svg>`;

export const mltrackIcon = new LabIcon({
  name: 'jupyter-mltrack:chart',
  svgstr: chartSvg
});
