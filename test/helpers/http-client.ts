// An HTTP client with a cookie jar (fetch with manual redirects; cookies honour Path), enough to walk
// /authorize → /u/login → /authorize/resume → callback and look at every hop; the helpers that walk the
// hosted pages (login, sign-up, consent) with it; and the JSON endpoints the flows end at (/oauth/token,
// /userinfo, /dbconnections/signup).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PASSWORD } from './fixtures.js';
import type { RunningGatehouse } from './server.js';

/** What these helpers need of a server: an in-process one (startGatehouse) or a `gatehouse start` child. */
export type Endpoint = Pick<RunningGatehouse, 'issuer' | 'url'>;

export interface Answer {
  status: number;
  headers: Headers;
  location?: string;
  /** Raw Set-Cookie lines of this answer. */
  setCookies: string[];
  text: string;
}

export type Form = Record<string, string> | [string, string][];

export class CookieJarClient {
  private readonly jar = new Map<string, { value: string; path: string }>();

  constructor(readonly server: Endpoint) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }

  setCookie(name: string, value: string, path = '/') {
    this.jar.set(name, { value, path });
  }

  deleteCookie(name: string) {
    this.jar.delete(name);
  }

  async request(
    target: string | URL,
    init: { method?: string; form?: Form; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = new URL(target, this.server.issuer);
    const headers = new Headers(init.headers);
    const cookies = [...this.jar]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`);
    if (cookies.length && !headers.has('cookie')) headers.set('cookie', cookies.join('; '));
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
    } else if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set('content-type', 'application/json');
    }
    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.remember(line);
    return {
      status: response.status,
      headers: response.headers,
      location: response.headers.get('location') ?? undefined,
      setCookies,
      text: await response.text(),
    };
  }

  get(target: string | URL, headers?: Record<string, string>) {
    return this.request(target, { headers });
  }

  post(target: string | URL, form: Form, headers?: Record<string, string>) {
    return this.request(target, { form, headers });
  }

  /** Follows redirects while they stay on Gatehouse; returns the first answer that leaves it or is not a redirect. */
  async follow(answer: Answer): Promise<Answer> {
    for (let hops = 0; hops < 10; hops++) {
      if (!answer.location || answer.status < 300 || answer.status > 399) return answer;
      const next = new URL(answer.location, this.server.issuer);
      if (next.origin !== new URL(this.server.issuer).origin) return answer;
      answer = await this.get(next);
    }
    throw new Error('too many redirects');
  }

  private remember(line: string) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const expires = attr('expires');
    const maxAge = attr('max-age');
    if (
      (maxAge !== undefined && Number(maxAge) <= 0) ||
      (expires !== undefined && Date.parse(expires) <= Date.now()) ||
      value === ''
    ) {
      this.jar.delete(name);
      return;
    }
    this.jar.set(name, { value, path: attr('path') ?? '/' });
  }
}

/** The URL of /authorize with these parameters (pairs allow a name to repeat). */
export function authorizeUrl(server: Endpoint, params: Form): string {
  return `${server.url('/authorize')}?${new URLSearchParams(params).toString()}`;
}

export function decodeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#34;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The form of a hosted page (login, sign-up, consent): where it posts and its CSRF token. */
export function pageForm(page: Answer): { action: string; csrf: string } {
  const action = /<form[^>]*method="post"[^>]*action="([^"]*)"/.exec(page.text)?.[1];
  const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1];
  assert.ok(action && csrf, `no form in:\n${page.text}`);
  return { action: decodeHtml(action), csrf: decodeHtml(csrf) };
}

/** The text of the page's alert (the error shown above the form), if any. */
export function alertText(page: Pick<Answer, 'text'>): string | undefined {
  const match = /<div class="gh-alert"[^>]*>([^<]*)<\/div>/.exec(page.text);
  return match ? decodeHtml(match[1]).trim() : undefined;
}

/** GET a hosted page that /authorize (or a form) redirected to, expecting it with status 200. */
export async function openPage(
  client: CookieJarClient,
  redirect: Answer,
  path: '/u/login' | '/u/signup' | '/u/consent',
) {
  assert.ok(
    redirect.status === 302 || redirect.status === 303,
    `expected a redirect to ${path}, got ${redirect.status}: ${redirect.text}`,
  );
  assert.match(redirect.location ?? '', new RegExp(`^${path.replace(/\//g, '\\/')}\\?state=`));
  const page = await client.get(redirect.location!);
  assert.equal(page.status, 200, page.text);
  return { page, form: pageForm(page) };
}

/** GET /authorize (parameters, or a whole URL), expecting the login page; returns it with its form. */
export async function openLogin(client: CookieJarClient, params: Form | URL) {
  const first = await client.get(params instanceof URL ? params : authorizeUrl(client.server, params));
  assert.equal(first.status, 302, first.text);
  return openPage(client, first, '/u/login');
}

/** Posts the login form. */
export function submitLogin(
  client: CookieJarClient,
  form: { action: string; csrf: string },
  email: string,
  password = PASSWORD,
) {
  return client.post(form.action, { _csrf: form.csrf, email, password });
}

/** Signs in on the login page that /authorize sent the client to; returns the answer to the form POST. */
export async function logIn(
  client: CookieJarClient,
  params: Form | URL,
  email: string,
  password = PASSWORD,
): Promise<Answer> {
  const { form } = await openLogin(client, params);
  const posted = await submitLogin(client, form, email, password);
  assert.equal(posted.status, 303, posted.text);
  return posted;
}

/** The client's callback URL that an answer redirects to (after following Gatehouse's own redirects). */
export async function callbackOf(client: CookieJarClient, answer: Answer): Promise<URL> {
  const last = await client.follow(answer);
  assert.ok(
    last.status === 302 || last.status === 303,
    `expected a redirect to the client, got ${last.status}: ${last.text}`,
  );
  const url = new URL(last.location!, client.server.issuer);
  assert.notEqual(
    url.origin,
    new URL(client.server.issuer).origin,
    `expected the client's callback, got ${last.location}`,
  );
  return url;
}

/** Signs in through the form and follows back to the client; returns the callback URL (code, state, iss). */
export async function signIn(
  client: CookieJarClient,
  params: Form | URL,
  email: string,
  password = PASSWORD,
): Promise<URL> {
  const back = await client.follow(await logIn(client, params, email, password));
  assert.equal(back.status, 302, back.text);
  return new URL(back.location!);
}

/** /authorize with a live session: the code comes straight back. */
export async function silentCode(client: CookieJarClient, params: Form | URL): Promise<URL> {
  const answer = await client.get(params instanceof URL ? params : authorizeUrl(client.server, params));
  assert.equal(answer.status, 302, answer.text);
  const location = new URL(answer.location!, client.server.issuer);
  assert.notEqual(
    location.origin,
    new URL(client.server.issuer).origin,
    `expected the callback, got ${answer.location}`,
  );
  return location;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** RFC 6749 §2.3.1: form-urlencode, then join with ':' and base64. */
export function basicAuth(clientId: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export function postToken(
  server: Endpoint,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return postForm(server, '/oauth/token', params, headers);
}

/** POSTs a form body to one of the server's endpoints and reads the JSON answer. */
export async function postForm(
  server: Endpoint,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await fetch(server.url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export async function getUserinfo(
  server: Endpoint,
  authorization?: string,
  method = 'GET',
): Promise<JsonAnswer & { text: string }> {
  const response = await fetch(server.url('/userinfo'), { method, headers: authorization ? { authorization } : {} });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as Record<string, unknown>,
    text,
  };
}

/**
 * POST /dbconnections/signup: an object is sent as JSON, URLSearchParams as a form, a string as is (as JSON
 * unless `contentType` says otherwise).
 */
export async function postSignup(
  server: Endpoint,
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
