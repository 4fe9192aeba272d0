// A browser without a browser: fetch with manual redirects and a tiny cookie jar, enough to walk
// /authorize → /u/login → /authorize/resume → callback and look at every hop.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { RunningGatehouse } from '../helpers/server.js';
import { PASSWORD } from './tenant.js';

export interface Answer {
  status: number;
  headers: Headers;
  location?: string;
  /** Raw Set-Cookie lines of this answer. */
  setCookies: string[];
  text: string;
}

export type Form = Record<string, string> | [string, string][];

export class Browser {
  private readonly jar = new Map<string, { value: string; path: string }>();

  constructor(readonly server: RunningGatehouse) {}

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
    init: { method?: string; form?: Form; headers?: Record<string, string> } = {},
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
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
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
export function authorizeUrl(server: RunningGatehouse, params: Form): string {
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

/** The login form of a /u/login page: where it posts and its CSRF token. */
export function loginForm(page: Answer): { action: string; csrf: string } {
  const action = /<form[^>]*method="post"[^>]*action="([^"]*)"/.exec(page.text)?.[1];
  const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1];
  assert.ok(action && csrf, `no login form in:\n${page.text}`);
  return { action: decodeHtml(action), csrf: decodeHtml(csrf) };
}

/** The text of the page's alert (the error shown above the form), if any. */
export function alertText(page: Pick<Answer, 'text'>): string | undefined {
  const match = /<div class="gh-alert"[^>]*>([^<]*)<\/div>/.exec(page.text);
  return match ? decodeHtml(match[1]).trim() : undefined;
}

/** GET /authorize (parameters, or a whole URL), expecting the login page; returns it with its form. */
export async function openLogin(browser: Browser, params: Form | URL) {
  const first = await browser.get(params instanceof URL ? params : authorizeUrl(browser.server, params));
  assert.equal(first.status, 302, first.text);
  assert.match(first.location ?? '', /^\/u\/login\?state=/);
  const page = await browser.get(first.location!);
  assert.equal(page.status, 200, page.text);
  return { page, form: loginForm(page) };
}

/** Posts the login form. */
export function submitLogin(
  browser: Browser,
  form: { action: string; csrf: string },
  email: string,
  password = PASSWORD,
) {
  return browser.post(form.action, { _csrf: form.csrf, email, password });
}

/** Signs in through the form and follows back to the client; returns the callback URL (code, state, iss). */
export async function signIn(browser: Browser, params: Form | URL, email: string, password = PASSWORD): Promise<URL> {
  const { form } = await openLogin(browser, params);
  const posted = await submitLogin(browser, form, email, password);
  assert.equal(posted.status, 303, posted.text);
  const back = await browser.follow(posted);
  assert.equal(back.status, 302, back.text);
  return new URL(back.location!);
}

/** /authorize with a live session: the code comes straight back. */
export async function silentCode(browser: Browser, params: Form | URL): Promise<URL> {
  const answer = await browser.get(params instanceof URL ? params : authorizeUrl(browser.server, params));
  assert.equal(answer.status, 302, answer.text);
  const location = new URL(answer.location!, browser.server.issuer);
  assert.notEqual(
    location.origin,
    new URL(browser.server.issuer).origin,
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

export async function postToken(
  server: RunningGatehouse,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await fetch(server.url('/oauth/token'), {
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
  server: RunningGatehouse,
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
