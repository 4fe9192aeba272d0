// The device authorization flow's tenant and the person's part of it over HTTP (a cookie jar walking
// /activate, the login page and the confirmation), for the suites under test/device/.
import assert from 'node:assert/strict';
import { acmeApi, alice, API, nativeClient, PASSWORD, scopes, tenant, webClient, WEB_SECRET } from './fixtures.js';
import { type Answer, alertText, type CookieJarClient, type Endpoint, pageForm, postForm } from './http-client.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const ALICE = 'alice@acme.test';
export const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
export const CLI_SECRET = 'cli-secret-0123456789-abcdefghijklmnopqrstuvw';

/**
 * A TV app (public, native) and a command-line tool (confidential, Basic) that may use the device grant, a web
 * app that may not; an API that enforces RBAC and allows offline access, where Alice may only read.
 */
export function deviceTenant() {
  const clients = [
    nativeClient({ client_id: 'tv', name: 'Acme TV', callbacks: [], grant_types: [DEVICE_GRANT, 'refresh_token'] }),
    webClient({ client_id: 'cli', name: 'Acme CLI', client_secret: CLI_SECRET, grant_types: [DEVICE_GRANT] }),
    webClient({ client_secret: WEB_SECRET }),
  ];
  return tenant({
    clients,
    resource_servers: [
      acmeApi({
        scopes: scopes(['read:items', 'Read your items'], ['write:items', 'Change your items']),
        enforce_policies: true,
        allow_offline_access: true,
      }),
    ],
    users: [alice()],
    roles: [
      {
        name: 'reader',
        permissions: [{ resource_server_identifier: API, permission_name: 'read:items' }],
        users: [ALICE],
      },
    ],
  });
}

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** POST /oauth/device/code for the TV app. */
export async function requestDeviceCode(
  server: Endpoint,
  params: Record<string, string> = {},
): Promise<DeviceAuthorization> {
  const answer = await postForm(server, '/oauth/device/code', {
    client_id: 'tv',
    scope: 'openid profile offline_access read:items write:items',
    audience: API,
    ...params,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as unknown as DeviceAuthorization;
}

/** One poll of the token endpoint by the TV app. */
export function poll(server: Endpoint, deviceCode: string, clientId = 'tv') {
  return postForm(server, '/oauth/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId });
}

/** Opens /activate (with the code in the link, when given) and posts the code form. */
export async function enterCode(person: CookieJarClient, userCode: string, link?: string): Promise<Answer> {
  const page = await person.get(link ?? '/activate');
  assert.equal(page.status, 200, page.text);
  const form = pageForm(page);
  return person.post(form.action, { _csrf: form.csrf, user_code: userCode });
}

/** The code is refused on the code page with this status and alert. */
export function assertRefused(answer: Answer, status: number, alert: string) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(alertText(answer), alert);
}

/** Enters the code, signs in on the login page (when the browser has no session) and opens the confirmation. */
export async function openConfirmation(person: CookieJarClient, userCode: string): Promise<Answer> {
  let answer = await enterCode(person, userCode);
  assert.equal(answer.status, 303, answer.text);
  if (answer.location?.startsWith('/u/login?')) {
    const login = await person.get(answer.location);
    const form = pageForm(login);
    answer = await person.post(form.action, { _csrf: form.csrf, email: ALICE, password: PASSWORD });
    assert.equal(answer.status, 303, answer.text);
    answer = await person.get(answer.location!);
  }
  assert.match(answer.location ?? '', /^\/u\/device\/confirm\?state=/);
  const confirmation = await person.get(answer.location!);
  assert.equal(confirmation.status, 200, confirmation.text);
  return confirmation;
}

/** Presses Confirm or Cancel on the confirmation page. */
export async function decide(person: CookieJarClient, confirmation: Answer, action: 'confirm' | 'cancel') {
  const form = pageForm(confirmation);
  const answer = await person.post(form.action, { _csrf: form.csrf, action });
  assert.equal(answer.status, 200, answer.text);
  return answer;
}
