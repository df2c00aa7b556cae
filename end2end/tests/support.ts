import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';

const repoRoot = path.resolve(__dirname, '..', '..');
const binary = process.env.PLUGBOARD_BINARY ?? path.join(repoRoot, 'target', 'debug', 'plugboard');

export const PASSWORD = 'violet tractor humming seaside';

export interface Server {
  args: string[];
  url: string;
  port: number;
  dataDir: string;
  binary: string;
  repoRoot: string;
  extraEnv: Record<string, string>;
}

// Data directories are made once, when the config is first loaded, and handed to the worker.
function dataDir(name: string): string {
  const key = `PLUGBOARD_E2E_DATA_${name.toUpperCase()}`;
  if (!process.env[key]) {
    process.env[key] = mkdtempSync(path.join(tmpdir(), `plugboard-e2e-${name}-`));
  }
  return process.env[key]!;
}

function server(name: string, port: number, args: string[], extraEnv: Record<string, string>): Server {
  return { args, url: `http://127.0.0.1:${port}`, port, dataDir: dataDir(name), binary, repoRoot, extraEnv };
}

export const servers = {
  // The sandbox stands in for every platform, so connects work with no network.
  // Checks on every page view and a fast worker, to watch tokens being kept alive.
  main: server('main', 3100, ['serve', '--sandbox'], {
    PLUGBOARD_HEALTH_CHECK_TTL_SECS: '0',
    PLUGBOARD_REFRESH_INTERVAL_SECS: '1',
    // The tests' webhook receiver listens on this machine.
    PLUGBOARD_ALLOW_PRIVATE_URLS: 'true',
  }),
  slow: server('slow', 3101, ['serve'], { PLUGBOARD_DEBUG_DATA_DELAY_MS: '2500' }),
};

export function serverEnv(s: Server): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PLUGBOARD_DATA_DIR: s.dataDir,
    PLUGBOARD_LISTEN_ADDR: `127.0.0.1:${s.port}`,
    PLUGBOARD_BASE_URL: s.url,
    PLUGBOARD_LOG: 'warn',
    LEPTOS_SITE_ROOT: path.join(repoRoot, 'target', 'site'),
    ...s.extraEnv,
  };
}

/** Runs a `plugboard` command against a server's data directory. */
export function cli(s: Server, args: string[], input = ''): string {
  return execFileSync(s.binary, args, { env: serverEnv(s), input, cwd: repoRoot }).toString();
}

let counter = 0;
export function uniqueEmail(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now()}-${counter}@example.com`;
}

export function createUser(s: Server, email: string): void {
  cli(s, ['user', 'create', email], `${PASSWORD}\n`);
}

export function seedDemoAccounts(s: Server, email: string, count = 6): void {
  cli(s, ['dev', 'seed-demo', email, '--accounts', String(count)]);
}

/** Signs in through the form on `/`, as a person would. */
export async function signIn(page: Page, s: Server, email: string): Promise<void> {
  await page.goto(`${s.url}/`);
  const form = page.locator('form[data-form="sign_in"]');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${s.url}/dashboard/connections`);
}

/** Resolves once the islands bundle has loaded and hydrated the page. */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __hydrateIsland?: unknown }).__hydrateIsland !== undefined);
}

/** Clicks Connect on the connections page and approves on the sandbox's consent screen. */
export async function connectThroughConsent(page: Page, platformName: string): Promise<void> {
  await page.goto('/dashboard/connections');
  await page.getByRole('button', { name: `Connect ${platformName}` }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: `${platformName} is connected` })).toBeVisible();
}
