/**
 * Galata configuration: our own port (8890, see jupyter_server_test_config.py), a fresh
 * server per run, Debian's chromium (no Playwright browser download), no video or trace
 * (both need a downloaded ffmpeg).
 */
import { defineConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// MLTRACK_UI_PORT lets two test runs share a machine.
const PORT = Number(process.env.MLTRACK_UI_PORT ?? 8890);

export default defineConfig({
  ...baseConfig,
  retries: 0,
  // Tests that write docs/img/*.png are pictures for people, not checks: collected only for
  // `make screenshots` (MLTRACK_SCREENSHOTS=1), so a test run neither rewrites nor skips them.
  grepInvert:
    process.env.MLTRACK_SCREENSHOTS === '1' ? undefined : /@docs-screenshot/,
  workers: 1,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${PORT}`,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-dev-shm-usage',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${PORT}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
});
