import { expect, test, type Page } from '@playwright/test';
import { cli, createUser, PASSWORD, servers, signIn, uniqueEmail } from './support';

const main = servers.main;

const accountRow = (page: Page, platform: string) =>
  page.getByTestId('connections-list').locator(`li.account[data-platform="${platform}"]`);

/** Starts a workspace from the header's switcher; the person then acts in it. */
async function createWorkspace(page: Page, name: string): Promise<void> {
  await page.locator('.workspace-switcher summary').click();
  await page.getByLabel('New workspace').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page).toHaveURL('/dashboard/people');
  await expect(page.locator('.workspace-switcher .workspace-name')).toHaveText(name);
}

test('an admin invites a colleague, a client connects through a link, and the colleague sees it', async ({ page, browser }) => {
  const admin = uniqueEmail('agency');
  createUser(main, admin);
  await signIn(page, main, admin);
  const workspace = `Acme ${Date.now()}`;
  await createWorkspace(page, workspace);

  // Invite a colleague as a member; the link is shown once.
  const colleague = uniqueEmail('colleague');
  await page.getByLabel('Email address').fill(colleague);
  await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption('member');
  await page.getByRole('button', { name: 'Invite' }).click();
  const invitation = await page.getByTestId('new-invitation-link').textContent();
  expect(invitation).toContain('/invitations/pbi_');
  await expect(page.locator(`[data-invitation="${colleague}"]`)).toContainText('Member');

  // A client, in a browser with no session, connects Reddit through a connect link.
  await page.getByRole('checkbox', { name: 'Reddit' }).check();
  await page.getByLabel(/^Note/).fill("For Acme's Reddit");
  await page.getByRole('button', { name: 'Make a link' }).click();
  const link = (await page.getByTestId('new-connect-link').textContent())!;
  expect(link).toContain('/connect/pbl_');

  const client = await browser.newContext();
  const clientPage = await client.newPage();
  await clientPage.goto(link);
  await expect(clientPage.getByRole('heading', { name: `Connect your account to ${workspace}` })).toBeVisible();
  await expect(clientPage.getByText("For Acme's Reddit")).toBeVisible();
  await clientPage.getByRole('button', { name: 'Connect Reddit' }).click();
  await clientPage.getByRole('button', { name: 'Approve' }).click();
  await expect(clientPage.getByRole('heading', { name: 'Connected' })).toBeVisible();
  await expect(clientPage.getByRole('status')).toContainText('Reddit is connected');
  // The link was for one use.
  await clientPage.goto(link);
  await expect(clientPage.getByRole('heading', { name: 'This link cannot be used' })).toBeVisible();
  await client.close();

  // The colleague signs up from the invitation in a second browser, joins, and sees the account.
  const second = await browser.newContext();
  const colleaguePage = await second.newPage();
  await colleaguePage.goto(invitation!);
  await expect(colleaguePage.getByRole('heading', { name: `Join ${workspace} on Plugboard` })).toBeVisible();
  await colleaguePage.getByRole('link', { name: 'Sign up to join' }).click();
  const form = colleaguePage.locator('form[data-form="sign_up"]');
  await expect(form.getByLabel('Email')).toHaveValue(colleague);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(colleaguePage).toHaveURL(/\/invitations\/pbi_/);
  await colleaguePage.getByRole('button', { name: `Join ${workspace}` }).click();
  await expect(colleaguePage).toHaveURL('/dashboard/connections');
  await expect(colleaguePage.locator('.workspace-switcher .workspace-name')).toHaveText(workspace);
  await expect(accountRow(colleaguePage, 'reddit')).toContainText('Connected');
  await expect(accountRow(colleaguePage, 'reddit')).toContainText("Connected through the link “For Acme's Reddit”");
  // A member may not disconnect an account someone else connected: no button for it.
  await expect(accountRow(colleaguePage, 'reddit').getByRole('link', { name: /Disconnect/ })).toHaveCount(0);
  await second.close();

  // The trail says who did what.
  await page.goto('/dashboard/settings');
  await expect(page.getByText('Invitation accepted')).toBeVisible();
  await expect(page.getByRole('row', { name: /Connected ada_sandbox on Reddit Connect link “For Acme's Reddit”/ })).toBeVisible();
});

test('a viewer sees the connections and no button that changes anything', async ({ page }) => {
  const owner = uniqueEmail('owner');
  const viewer = uniqueEmail('viewer');
  createUser(main, owner);
  createUser(main, viewer);
  cli(main, ['dev', 'seed-demo', owner, '--accounts', '3']);
  cli(main, ['workspace', 'add', owner, viewer, '--role', 'viewer']);

  await signIn(page, main, viewer);
  await page.locator('.workspace-switcher summary').click();
  await page.getByRole('button', { name: new RegExp(owner.replace(/[.]/g, '\\.')) }).click();
  await expect(page.locator('.workspace-switcher .role-badge').first()).toHaveText('Viewer');
  await page.goto('/dashboard/connections');
  await expect(page.getByTestId('connections-list').locator('li.account')).toHaveCount(3);
  const main_ = page.locator('main');
  await expect(main_.getByRole('button', { name: /Connect|Reconnect/ })).toHaveCount(0);
  await expect(main_.getByRole('link', { name: /Disconnect|Connect/ })).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Webhooks' })).toHaveCount(0);

  await page.goto('/dashboard/settings');
  await expect(page.getByRole('button', { name: 'Create key' })).toHaveCount(0);
  await page.goto('/dashboard/people');
  await expect(main_.getByRole('button', { name: /Invite|Change role|Make a link|Remove|Rename|Delete/ })).toHaveCount(0);
  // A crafted request is refused on the server too.
  const refused = await page.request.post('/api/fn/invite_person', {
    form: { email: 'x@example.com', role: 'viewer' },
    headers: { Accept: 'application/json', Origin: main.url },
  });
  expect(refused.status()).toBe(403);
});

test('an owner renames a workspace, then deletes it after typing its name', async ({ page }) => {
  const owner = uniqueEmail('owner');
  createUser(main, owner);
  await signIn(page, main, owner);
  const workspace = `Side ${Date.now()}`;
  await createWorkspace(page, workspace);

  const settings = page.getByRole('region', { name: 'Workspace' });
  await settings.getByLabel('Name', { exact: true }).fill(`${workspace} renamed`);
  await settings.getByRole('button', { name: 'Rename' }).click();
  await expect(page.locator('.workspace-switcher .workspace-name')).toHaveText(`${workspace} renamed`);

  // A mistyped name deletes nothing and says why beside the field.
  const confirm = page.getByLabel(/^Type “.*” to confirm$/);
  await confirm.fill(workspace);
  await page.getByRole('button', { name: 'Delete this workspace' }).click();
  await expect(page.getByRole('alert')).toContainText("Type the workspace's name exactly");
  await expect(page.locator('.workspace-switcher .workspace-name')).toHaveText(`${workspace} renamed`);

  await page.getByLabel(/^Type “.*” to confirm$/).fill(`${workspace} renamed`);
  await page.getByRole('button', { name: 'Delete this workspace' }).click();
  await expect(page).toHaveURL(/\/dashboard\/connections/);
  await expect(page.getByTestId('toast')).toContainText(`The workspace ${workspace} renamed is deleted`);
  await expect(page.locator('.workspace-switcher .workspace-name')).toHaveText(owner);
  await page.locator('.workspace-switcher summary').click();
  await expect(page.locator('.workspace-switcher').getByText(`${workspace} renamed`)).toHaveCount(0);
});
