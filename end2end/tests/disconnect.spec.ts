import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { connectThroughConsent, createUser, servers, signIn, uniqueEmail, waitForHydration } from './support';

const main = servers.main;
const script = path.resolve(__dirname, '..', '..', 'docs', 'examples', 'publishing_tool.py');

/** Runs the example publishing tool with an API key and returns its JSON output. */
function tool(key: string, args: string[]): any {
  const output = execFileSync('python3', [script, '--json', ...args], {
    env: { ...process.env, PLUGBOARD_URL: main.url, PLUGBOARD_API_KEY: key },
  });
  return JSON.parse(output.toString());
}

async function createApiKey(page: Page, name: string): Promise<string> {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Key name').fill(name);
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-api-key').innerText()).trim();
  expect(key).toMatch(/^pb_/);
  return key;
}

const card = (page: Page, platform: string) =>
  page.getByTestId('connections-list').locator(`li.account[data-platform="${platform}"]`);

test('a publishing tool schedules through the API; disconnecting in the browser cancels only what had no other target', async ({ page }) => {
  const email = uniqueEmail('tool');
  createUser(main, email);
  await signIn(page, main, email);
  await connectThroughConsent(page, 'X');
  await connectThroughConsent(page, 'Pinterest');
  const key = await createApiKey(page, 'Example tool');

  // The tool: lists the accounts, gets a token, schedules to one and to two accounts.
  const accounts: { id: string; platform: string; status: string }[] = tool(key, ['accounts']);
  expect(accounts.map((a) => a.platform).sort()).toEqual(['pinterest', 'x']);
  expect(accounts.every((a) => a.status === 'ok')).toBe(true);
  const x = accounts.find((a) => a.platform === 'x')!.id;
  const pinterest = accounts.find((a) => a.platform === 'pinterest')!.id;
  expect(tool(key, ['token', x]).access_token).toBeTruthy();
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const single = tool(key, ['schedule', '--text', 'Only on X', '--at', at, '--account', x]);
  const shared = tool(key, ['schedule', '--text', 'Everywhere', '--at', at, '--account', x, '--account', pinterest]);
  expect(shared.targets).toHaveLength(2);

  // The person disconnects X, with the confirmation step.
  await page.goto('/dashboard/connections');
  await waitForHydration(page);
  await card(page, 'x').getByRole('link', { name: /^Disconnect .* from X$/ }).click();
  await expect(page).toHaveURL(`/dashboard/connections/${x}/disconnect`);
  await expect(page.getByText('1 scheduled post that goes only to this account will be cancelled.')).toBeVisible();
  await expect(page.getByText('1 scheduled post that goes to other accounts too will keep going to them.')).toBeVisible();
  await expect(page.getByText('Plugboard will also revoke its access at X.')).toBeVisible();
  await page.getByRole('button', { name: /^Disconnect / }).click();

  const toast = page.getByTestId('toast');
  await expect(toast).toContainText("is disconnected, and Plugboard's access was revoked at X.");
  await expect(toast).toContainText('1 scheduled post that went only to it was cancelled');
  await expect(page).toHaveURL('/dashboard/connections');
  await expect(card(page, 'x')).toHaveCount(0);
  await expect(card(page, 'pinterest')).toHaveCount(1);

  // The tool sees the single-target post cancelled and the other still going to Pinterest.
  const posts: any[] = tool(key, ['posts']);
  const singleNow = posts.find((p) => p.id === single.id);
  const sharedNow = posts.find((p) => p.id === shared.id);
  expect(singleNow.status).toBe('cancelled');
  expect(singleNow.cancel_reason).toBe('account_disconnected');
  expect(sharedNow.status).toBe('scheduled');
  expect(sharedNow.targets.map((t: { account_id: string }) => t.account_id)).toEqual([pinterest]);
  expect(() => tool(key, ['token', x])).toThrow();

  // The trail: on the card, and all of it on the settings page.
  await card(page, 'pinterest').getByText('Recent activity').click();
  await expect(card(page, 'pinterest').locator('.account-history li')).toContainText(`Connected by ${email}`);
  await page.goto('/dashboard/settings');
  const activity = page.locator('table.activity tbody tr');
  await expect(activity.first()).toContainText('Disconnected');
  await expect(activity.filter({ hasText: 'API key created' })).toHaveCount(1);
});

test.describe('with JavaScript disabled', () => {
  test.use({ javaScriptEnabled: false });

  test('disconnecting is a confirmation page and a plain form, and says where to revoke by hand', async ({ page }) => {
    const email = uniqueEmail('nojs-disconnect');
    createUser(main, email);
    await signIn(page, main, email);
    await connectThroughConsent(page, 'Pinterest');

    await card(page, 'pinterest').getByRole('link', { name: /^Disconnect / }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Disconnect');
    await expect(page.getByText('Pinterest does not let Plugboard revoke its own access')).toBeVisible();
    await page.getByRole('link', { name: 'Keep it connected' }).click();
    await expect(card(page, 'pinterest')).toHaveCount(1);

    await card(page, 'pinterest').getByRole('link', { name: /^Disconnect / }).click();
    const confirmation = page.url();
    await page.getByRole('button', { name: /^Disconnect / }).click();
    const toast = page.getByTestId('toast');
    await expect(toast).toContainText('remove Plugboard there yourself');
    await expect(toast.getByRole('link', { name: "Open Pinterest's connected apps" })).toHaveAttribute(
      'href',
      'https://www.pinterest.com/settings/security',
    );
    await expect(page.getByTestId('connections-list').locator('li.account')).toHaveCount(0);

    // Sent again (a double click, a resubmitted form): nothing breaks, and the page says so.
    const account = new URL(confirmation).pathname.split('/')[3];
    const again = await page.request.post('/api/fn/disconnect_account', {
      form: { account },
      headers: { Accept: 'text/html', Referer: confirmation },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    expect(again.headers()['location']).toBe('/dashboard/connections?error=already_disconnected');
    await page.goto(confirmation);
    await expect(page.getByText('This account is not connected')).toBeVisible();
  });
});
