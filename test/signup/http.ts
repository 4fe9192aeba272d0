// What the sign-up and consent HTTP tests share: the /authorize tests' Browser (fetch, manual redirects, a
// cookie jar that honours Path), the forms of the hosted pages, PKCE, the token endpoint and
// /dbconnections/signup.
import assert from 'node:assert/strict';
import { type Answer, authorizeUrl, type Browser, decodeHtml, type JsonAnswer } from '../authorize/browser.js';
import type { RunningGatehouse } from '../helpers/server.js';

// The same as the /authorize tests use: one implementation of each.
export {
  alertText,
  type Answer,
  authorizeUrl,
  basicAuth,
  Browser,
  decodeHtml,
  type JsonAnswer,
  pkcePair,
  postToken,
} from '../authorize/browser.js';

/** The form of a hosted page (login, sign-up, consent): where it posts and its CSRF token. */
export function pageForm(page: Answer): { action: string; csrf: string } {
  const action = /<form[^>]*method="post"[^>]*action="([^"]*)"/.exec(page.text)?.[1];
  const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1];
  assert.ok(action && csrf, `no form in:\n${page.text}`);
  return { action: decodeHtml(action), csrf: decodeHtml(csrf) };
}

/** GET a hosted page that /authorize (or a form) redirected to, expecting it with status 200. */
export async function openPage(browser: Browser, redirect: Answer, path: '/u/login' | '/u/signup' | '/u/consent') {
  assert.ok(
    redirect.status === 302 || redirect.status === 303,
    `expected a redirect to ${path}, got ${redirect.status}: ${redirect.text}`,
  );
  assert.match(redirect.location ?? '', new RegExp(`^${path.replace(/\//g, '\\/')}\\?state=`));
  const page = await browser.get(redirect.location!);
  assert.equal(page.status, 200, page.text);
  return { page, form: pageForm(page) };
}

/** Signs in on the login page that /authorize sent the browser to; returns the answer to the form POST. */
export async function logIn(
  browser: Browser,
  params: Record<string, string>,
  email: string,
  password: string,
): Promise<Answer> {
  const { form } = await openPage(browser, await browser.get(authorizeUrl(browser.server, params)), '/u/login');
  const posted = await browser.post(form.action, { _csrf: form.csrf, email, password });
  assert.equal(posted.status, 303, posted.text);
  return posted;
}

/** The client's callback URL that an answer redirects to (after following Gatehouse's own redirects). */
export async function callbackOf(browser: Browser, answer: Answer): Promise<URL> {
  const last = await browser.follow(answer);
  assert.ok(
    last.status === 302 || last.status === 303,
    `expected a redirect to the client, got ${last.status}: ${last.text}`,
  );
  const url = new URL(last.location!, browser.server.issuer);
  assert.notEqual(
    url.origin,
    new URL(browser.server.issuer).origin,
    `expected the client's callback, got ${last.location}`,
  );
  return url;
}

/**
 * POST /dbconnections/signup: an object is sent as JSON, URLSearchParams as a form, a string as is (as JSON
 * unless `contentType` says otherwise).
 */
export async function postSignup(
  server: RunningGatehouse,
  body: Record<string, unknown> | URLSearchParams | string,
  contentType?: string,
): Promise<JsonAnswer> {
  const form = body instanceof URLSearchParams;
  const response = await fetch(server.url('/dbconnections/signup'), {
    method: 'POST',
    headers: { 'content-type': contentType ?? (form ? 'application/x-www-form-urlencoded' : 'application/json') },
    body: form ? body.toString() : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    assert.fail(`/dbconnections/signup answered ${response.status} with a body that is not JSON: ${text}`);
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
