import { expect, test, type Page } from '@playwright/test';
import { createUser, servers, signIn, uniqueEmail } from './support';

const main = servers.main;

async function newUser(page: Page): Promise<string> {
  const email = uniqueEmail('connect');
  createUser(main, email);
  await signIn(page, main, email);
  return email;
}

const accountRow = (page: Page, platform: string) =>
  page.getByTestId('connections-list').locator(`li.account[data-platform="${platform}"]`);

test('connect LinkedIn through its consent screen, then deny, then reconnect', async ({ page }) => {
  await newUser(page);
  await expect(page.getByRole('note').filter({ hasText: 'Sandbox' })).toBeVisible();

  await page.getByRole('button', { name: 'Connect LinkedIn' }).click();
  await expect(page.getByRole('heading', { name: /Allow Plugboard to use your LinkedIn account/ })).toBeVisible();
  await page.getByRole('button', { name: 'Approve' }).click();

  await expect(page).toHaveURL('/dashboard/connections');
  await expect(page.getByRole('status').filter({ hasText: 'LinkedIn is connected' })).toBeVisible();
  await expect(accountRow(page, 'linkedin')).toContainText('Ada Sandbox');
  await expect(accountRow(page, 'linkedin').locator('.pill')).toHaveText('Connected');

  // Cancelling on the consent screen comes back with a clear toast and changes nothing.
  await page.getByRole('button', { name: 'Connect YouTube' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'You cancelled connecting YouTube. Nothing was changed.' })).toBeVisible();
  await expect(page).toHaveURL('/dashboard/connections');
  await expect(accountRow(page, 'youtube')).toHaveCount(0);

  // Reconnecting as somebody else is refused; as the same person it updates the account.
  await accountRow(page, 'linkedin').getByRole('button', { name: /Reconnect/ }).click();
  await page.getByLabel(/Grace Sandbox/).check();
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'different LinkedIn account' })).toBeVisible();
  await accountRow(page, 'linkedin').getByRole('button', { name: /Reconnect/ }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'LinkedIn is connected' })).toBeVisible();
  await expect(accountRow(page, 'linkedin')).toHaveCount(1);
});

test('a platform that fails during the connect says so', async ({ page }) => {
  await newUser(page);
  await page.getByRole('button', { name: 'Connect Reddit' }).click();
  await page.getByLabel('Then, for testing:').selectOption('outage');
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Reddit is having trouble right now' })).toBeVisible();
  await expect(accountRow(page, 'reddit')).toHaveCount(0);
});

test('connect Telegram with a bot token: inline errors first, then the bot', async ({ page }) => {
  await newUser(page);
  await page.getByRole('link', { name: 'Connect Telegram' }).click();
  await expect(page.getByRole('heading', { name: 'Connect Telegram' })).toBeVisible();
  const token = page.getByLabel('Bot token');

  await token.fill('hello');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText(/Paste the whole token BotFather gave you/);
  await expect(page.getByLabel('Bot token')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Bot token').fill('7000000001:wrong-token-AAAAAAAAAAAAAAAAAAAAAAAA');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText(/Telegram did not accept this bot token/);

  const hint = await page.locator('.sandbox-hint').innerText();
  const sandboxToken = hint.match(/\d+:sandbox[\w-]+/)![0];
  await page.getByLabel('Bot token').fill(sandboxToken);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Telegram is connected' })).toBeVisible();
  const row = accountRow(page, 'telegram');
  await expect(row).toContainText('@ada_sandbox_bot');
  // The avatar comes through Plugboard's proxy and actually loads (a broken one never gets a width).
  const avatar = row.locator('img.avatar-image');
  await expect
    .poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
    .toBe(true);
});

test('connect Mastodon: name the instance, approve there', async ({ page }) => {
  await newUser(page);
  await page.getByRole('link', { name: 'Connect Mastodon' }).click();
  await expect(page.getByLabel('Your instance')).not.toHaveValue('');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Mastodon is connected' })).toBeVisible();
});
