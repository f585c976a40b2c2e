// Jest setup of the JupyterLab extension template: ts-jest for our TypeScript
// (tsconfig.test.json), Babel for the ES modules in node_modules, jsdom environment.
const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const baseConfig = jestJupyterLab(__dirname);

// JupyterLab 4 packages ship ES modules: let Babel transform them too.
const esModules = [
  '@codemirror',
  '@jupyter/',
  '@jupyterlab/',
  '@marijn',
  '@microsoft',
  'color',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'nbdime',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: ['src/**/*.{ts,tsx}', '!src/**/*.d.ts', '!src/**/__tests__/**'],
  coverageReporters: ['text'],
  // No junit.xml or coverage/ files left in the working tree.
  reporters: ['default'],
  // Only src/: the working tree also holds .venv/ (with JupyterLab's own package.json files).
  roots: ['<rootDir>/src'],
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`],
  testRegex: 'src/(.+/)?__tests__/.+\\.spec\\.tsx?$'
};
