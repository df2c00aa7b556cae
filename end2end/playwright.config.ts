import { defineConfig } from '@playwright/test';
import { servers, serverEnv } from './tests/support';

// Two Plugboard servers from the same build: one as shipped, one that holds the connections
// data back so the loading skeleton can be seen. Each has its own fresh data directory.
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: servers.main.url,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
    trace: 'retain-on-failure',
  },
  webServer: Object.values(servers).map((server) => ({
    command: [server.binary, ...server.args].join(' '),
    cwd: server.repoRoot,
    url: `${server.url}/healthz`,
    env: serverEnv(server),
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
  })),
});
