import { expect, test } from '@playwright/test';
import {
  createUser,
  PASSWORD,
  seedDemoAccounts,
  servers,
  signIn,
  uniqueEmail,
  waitForHydration,
} from './support';

const main = servers.main;

test('sign up leads to the hydrated connections page with its empty state', async ({ page }) => {
  const email = uniqueEmail('newcomer');
  await page.goto('/');
  const form = page.locator('form[data-form="sign_up"]');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();

  await expect(page).toHaveURL('/dashboard/connections');
  await expect(page.getByRole('heading', { name: 'Connections', level: 1 })).toBeVisible();
  await expect(page.getByText('No accounts connected yet')).toBeVisible();
  // Who is signed in, and the personal workspace sign-up made for them, named after them.
  await expect(page.locator('.topbar-email')).toHaveText(email);
  await expect(page.getByRole('group').locator('.workspace-name')).toHaveText(email);
  await expect(page.getByRole('group').locator('.role-badge').first()).toHaveText('Owner');
  await expect(page.getByTestId('connections-list').locator('.connect-grid li')).toHaveCount(14);
  await expect(page.getByTestId('connections-skeleton')).toBeHidden();
  await waitForHydration(page);
});

test('sign-up errors are shown on the form, with the email kept', async ({ page }) => {
  await page.goto('/');
  const form = page.locator('form[data-form="sign_up"]');
  await form.getByLabel('Email').fill('someone@example.com');
  await form.getByLabel('Password').fill('password12');
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('form[data-form="sign_up"] [role="alert"]')).toHaveText(/too easy to guess/);
  await expect(page.locator('form[data-form="sign_up"]').getByLabel('Email')).toHaveValue('someone@example.com');
});

test('accounts in every status, with the premium badge and TikTok creator name', async ({ page }) => {
  const email = uniqueEmail('statuses');
  createUser(main, email);
  seedDemoAccounts(main, email);
  await signIn(page, main, email);

  const row = (platform: string) => page.locator(`li.account[data-platform="${platform}"]`);
  await expect(row('x').locator('.pill')).toHaveText('Connected');
  await expect(row('x').getByText('Premium')).toBeVisible();
  await expect(row('threads').locator('.pill')).toHaveText('Expiring soon');
  await expect(row('threads').getByText('Expires in 3 days')).toBeVisible();
  await expect(row('linkedin').locator('.pill')).toHaveText('Expired');
  await expect(row('youtube').locator('.pill')).toHaveText('Reconnect needed');
  await expect(row('tiktok').getByText('Ada Makes Things')).toBeVisible();
  await expect(page.getByText(/Expires in/)).toHaveCount(1);
  // Each account offers Reconnect and Disconnect.
  await expect(row('mastodon').getByRole('button', { name: /Reconnect/ })).toBeVisible();
  await expect(row('mastodon').getByRole('link', { name: /Disconnect/ })).toBeVisible();

  // Six accounts on the Free plan's three: the limit notice leads to billing.
  const notice = page.locator('.notice-limit');
  await expect(notice).toContainText('You are using 6 of 3 accounts on the Free plan.');
  // Said once, not under each of the 14 buttons: they all point at the notice.
  await expect(page.locator('.connect-reason')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Connect Reddit' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Connect Reddit' })).toHaveAccessibleDescription(/You are at your plan's limit/);
  await notice.getByRole('link', { name: 'Upgrade your plan' }).click();
  await expect(page).toHaveURL('/dashboard/billing');
  await expect(page.getByRole('heading', { name: 'Your plan: Free' })).toBeVisible();
  await expect(page.locator('li.plan')).toHaveCount(3);

  await page.goto('/dashboard/connections');
  await page.screenshot({ path: 'test-results/connections.png', fullPage: true });
});

test('the skeleton shows while the data loads, and the list replaces it without a layout shift', async ({ page }) => {
  const slow = servers.slow;
  const email = uniqueEmail('skeleton');
  createUser(slow, email);
  seedDemoAccounts(slow, email, 3);
  await signIn(page, slow, email);

  await page.addInitScript(() => {
    (window as unknown as { __cls: number }).__cls = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[]) {
        if (!entry.hadRecentInput) (window as unknown as { __cls: number }).__cls += entry.value;
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });

  await page.goto(`${slow.url}/dashboard/connections`, { waitUntil: 'commit' });
  const skeleton = page.getByTestId('connections-skeleton');
  await expect(skeleton).toBeVisible();
  await expect(page.getByTestId('connections-list')).toHaveCount(0);
  // Measured before the stylesheet arrives, the skeleton would sit in the unstyled layout.
  await page.waitForFunction(() => {
    const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')];
    return links.length > 0 && links.every((link) => link.sheet !== null);
  });
  await expect(skeleton).toBeVisible();
  const skeletonBox = await skeleton.boundingBox();

  const list = page.getByTestId('connections-list');
  await expect(list).toBeVisible({ timeout: 15_000 });
  await expect(skeleton).toBeHidden();
  const listBox = await list.boundingBox();
  expect(listBox!.y).toBe(skeletonBox!.y);
  expect(listBox!.x).toBe(skeletonBox!.x);
  expect(listBox!.width).toBe(skeletonBox!.width);

  await page.waitForLoadState('load');
  const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
  expect(cls).toBeLessThan(0.01);
});

test('an OAuth error becomes an accessible toast and the URL is cleaned', async ({ page }) => {
  const email = uniqueEmail('toast');
  createUser(main, email);
  await signIn(page, main, email);

  await page.goto('/dashboard/connections?error=access_denied&error_description=The%20user%20denied%20access&platform=linkedin&keep=1');
  const toast = page.getByRole('alert').filter({ hasText: 'You cancelled connecting LinkedIn' });
  await expect(toast).toBeVisible();
  await expect(toast).toContainText('The user denied access');
  // The island removes the callback's parameters (and only those) once hydrated.
  await expect(page).toHaveURL('/dashboard/connections?keep=1');
  await toast.getByRole('link', { name: 'Dismiss' }).click();
  await expect(toast).toBeHidden();
  await expect(page).toHaveURL('/dashboard/connections?keep=1');

  await page.goto('/dashboard/connections?connected=youtube');
  const success = page.getByRole('status').filter({ hasText: 'YouTube is connected' });
  await expect(success).toBeVisible();
  await expect(page).toHaveURL('/dashboard/connections');
  await expect(success).toBeHidden({ timeout: 15_000 });

  await page.goto('/dashboard/connections?error=limit_reached&platform=x');
  await expect(page.getByRole('alert').getByRole('link', { name: 'Upgrade your plan' })).toHaveAttribute('href', '/dashboard/billing');
});

test('pages go out compressed; the built assets have hashed names and are cached for good', async ({ page, request }) => {
  const email = uniqueEmail('wire');
  createUser(main, email);
  seedDemoAccounts(main, email);
  await signIn(page, main, email);
  const stylesheet = await page.locator('link[rel="stylesheet"]').getAttribute('href');
  expect(stylesheet).toMatch(/^\/pkg\/plugboard\.[A-Za-z0-9_-]+\.css$/);
  const module = await page.locator('link[rel="modulepreload"]').getAttribute('href');
  expect(module).toMatch(/^\/pkg\/plugboard\.[A-Za-z0-9_-]+\.js$/);

  const asset = await request.get(stylesheet!);
  expect(asset.status()).toBe(200);
  expect(asset.headers()['cache-control']).toBe('public, max-age=31536000, immutable');

  const cookies = await page.context().cookies();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const response = await request.get('/dashboard/connections', {
    headers: { cookie, 'accept-encoding': 'gzip, deflate, br, zstd' },
  });
  expect(response.status()).toBe(200);
  expect(response.headers()['content-encoding']).toBe('gzip');
  expect(response.headers()['vary']).toContain('accept-encoding');
  expect(await response.text()).toContain('data-testid="connections-list"');
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('the page is complete and usable', async ({ page }) => {
    const email = uniqueEmail('nojs');
    createUser(main, email);
    seedDemoAccounts(main, email);
    await signIn(page, main, email);

    await expect(page.getByTestId('connections-skeleton')).toBeHidden();
    await expect(page.getByTestId('connections-list').locator('li.account')).toHaveCount(6);
    await expect(page.locator('li.account[data-platform="youtube"] .pill')).toHaveText('Reconnect needed');
    await expect(page.getByTestId('connections-list').locator('.connect-grid li')).toHaveCount(14);

    await page.goto('/dashboard/connections?error=temporarily_unavailable&platform=reddit');
    await expect(page.getByRole('alert')).toContainText('Reddit is having trouble right now');
    await page.getByRole('link', { name: 'Dismiss' }).click();
    await expect(page).toHaveURL('/dashboard/connections');
    await expect(page.getByRole('alert')).toHaveCount(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL('/?signed_out=1');
    await expect(page.getByText('You are signed out.')).toBeVisible();
    await page.goto('/dashboard/connections');
    await expect(page).toHaveURL(/\/\?next=/);
  });
});
