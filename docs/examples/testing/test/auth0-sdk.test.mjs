// The `auth0` SDK against Gatehouse over HTTPS, configured with the domain alone, as for an Auth0 tenant. Node
// trusts Gatehouse's certificate through NODE_EXTRA_CA_CERTS; the e-mails the SDK's calls send are read from
// the outbox. GATEHOUSE_ADMIN_CLIENT_ID and _SECRET name the client the Management API trusts (the same
// variables start Gatehouse with it).
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { ManagementClient } from 'auth0';
import { AuthenticationClient } from 'auth0/legacy';
import { BACKEND, createUser, domain, outbox, reset } from './gatehouse.mjs';

const DATABASE = 'Username-Password-Authentication';
const PASSWORD = 'Correct-Horse-Battery-9';
const authentication = new AuthenticationClient({
  domain,
  clientId: BACKEND.client_id,
  clientSecret: BACKEND.client_secret,
});
const management = new ManagementClient({
  domain,
  clientId: process.env.GATEHOUSE_ADMIN_CLIENT_ID,
  clientSecret: process.env.GATEHOUSE_ADMIN_CLIENT_SECRET,
});

beforeEach(reset);

test('sign up, follow the verification link from the outbox, then sign in: the ID token says email_verified', async () => {
  await authentication.database.signUp({ email: 'lin@example.test', password: PASSWORD, connection: DATABASE });
  const [verification] = await outbox('lin@example.test');
  assert.equal(verification.kind, 'verify_email');
  assert.equal((await fetch(verification.link)).status, 200);

  // The SDK checks the ID token itself: signature, iss `https://<domain>/`, aud.
  const { data } = await authentication.oauth.passwordGrant({ username: 'lin@example.test', password: PASSWORD, scope: 'openid email' });
  const claims = JSON.parse(Buffer.from(data.id_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.email_verified, true);
});

test('a password-reset e-mail asked for through the SDK: its link opens the reset page', async () => {
  await createUser('mo@example.test', PASSWORD);
  await authentication.database.changePassword({ email: 'mo@example.test', connection: DATABASE });
  const [reset] = await outbox('mo@example.test');
  assert.equal(reset.kind, 'reset_email');
  const page = await fetch(reset.link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /password/i);
});

test('passwordless: the code from the outbox signs the user in', async () => {
  await authentication.passwordless.sendEmail({ email: 'kim@example.test', send: 'code' });
  const [message] = await outbox('kim@example.test');
  const { data } = await authentication.passwordless.loginWithEmail({ email: 'kim@example.test', code: message.code, scope: 'openid email' });
  assert.equal(JSON.parse(Buffer.from(data.id_token.split('.')[1], 'base64url').toString()).email, 'kim@example.test');
});

test('ManagementClient: create a user, send the verification e-mail (a job), read the user back', async () => {
  const user = await management.users.create({ connection: DATABASE, email: 'noor@example.test', password: PASSWORD });
  await management.jobs.verificationEmail.create({ user_id: user.user_id });
  const [verification] = await outbox('noor@example.test');
  assert.equal(verification.kind, 'verify_email');
  await fetch(verification.link);
  assert.equal((await management.users.get(user.user_id)).email_verified, true);
});
