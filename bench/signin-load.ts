// The sign-in load generator: C virtual users, each doing one complete authorization-code + PKCE login
// after another over HTTP, as a browser and a web app would (wrk cannot follow this multi-step flow):
//
//   GET /authorize ─302→ GET /u/login (form, CSRF cookie) → POST /u/login (e-mail, password) ─303→
//   GET /authorize/resume ─302→ callback?code= … → POST /oauth/token (client_secret_basic, code_verifier)
//
// fetch (undici, in Node) with keep-alive connections and manual redirects (BENCH_SIGNIN_CLIENT=http: node:http
// with a keep-alive agent instead, about a fifth of fetch's CPU per request); a fresh cookie jar for every
// login, so that no login rides on an earlier session (no SSO shortcut) and every one verifies a password.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { SigninUser, SigninWorkload } from './signin-workload.js';

export const steps = ['authorize', 'login page', 'login post', 'resume', 'token'] as const;
export type Step = (typeof steps)[number];

const REQUEST_TIMEOUT_MS = 10_000;

export class LoginError extends Error {
  constructor(
    readonly step: Step,
    readonly reason: string,
    readonly detail = '',
  ) {
    super(`${step}: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

interface Answer {
  status: number;
  location?: string;
  text: string;
}

export type HttpClient = 'fetch' | 'http';

type Send = (
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body: string | undefined,
) => Promise<Answer & { setCookies: string[] }>;

const viaFetch: Send = async (url, method, headers, body) => {
  const response = await fetch(url, {
    method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location') ?? undefined,
    setCookies: response.headers.getSetCookie(),
    text,
  };
};

const agent = new Agent({ keepAlive: true });
const viaHttp: Send = (url, method, headers, body) =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            setCookies: res.headers['set-cookie'] ?? [],
            text,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })),
    );
    req.on('error', reject);
    req.end(body);
  });

/** Closes the node:http client's idle keep-alive connections (fetch's close by themselves after 4 s). */
export function closeIdleConnections(): void {
  agent.destroy();
}

/** One browser for one login: its own cookie jar (name → value and path). */
class Browser {
  private readonly jar = new Map<string, { value: string; path: string }>();
  private readonly send: Send;

  constructor(
    private readonly issuer: string,
    client: HttpClient,
  ) {
    this.send = client === 'http' ? viaHttp : viaFetch;
  }

  cookie(name: string) {
    return this.jar.get(name)?.value;
  }

  async request(
    step: Step,
    target: string,
    init: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = new URL(target, this.issuer);
    const headers: Record<string, string> = { ...init.headers };
    const cookies = [...this.jar]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`);
    if (cookies.length) headers.cookie = cookies.join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    let answer: Answer & { setCookies: string[] };
    try {
      answer = await this.send(url, init.form ? 'POST' : 'GET', headers, body);
    } catch (error) {
      const e = error as Error & { code?: string; cause?: { code?: string } };
      throw new LoginError(
        step,
        e.name === 'TimeoutError'
          ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
          : `request failed: ${e.cause?.code ?? e.code ?? e.message}`,
      );
    }
    for (const line of answer.setCookies) this.remember(line);
    return answer;
  }

  private remember(line: string) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const maxAge = attr('max-age');
    if (value === '' || (maxAge !== undefined && Number(maxAge) <= 0)) this.jar.delete(name);
    else this.jar.set(name, { value, path: attr('path') ?? '/' });
  }
}

const decodeHtml = (text: string) =>
  text
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const excerpt = (answer: Answer) =>
  `${answer.status} ${answer.location ? `→ ${answer.location} ` : ''}${answer.text.replace(/\s+/g, ' ').slice(0, 160)}`;

function expectRedirect(step: Step, answer: Answer, status: number, prefix: string): string {
  if (answer.status !== status)
    throw new LoginError(step, `status ${answer.status}, expected ${status}`, excerpt(answer));
  if (!answer.location?.startsWith(prefix))
    throw new LoginError(step, `redirected elsewhere than ${prefix}`, excerpt(answer));
  return answer.location;
}

function claims(jwt: unknown): Record<string, unknown> | undefined {
  const parts = typeof jwt === 'string' ? jwt.split('.') : [];
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Milliseconds each step took in one login. */
export type StepTimes = Record<Step, number>;

/** One complete login of `user`; throws LoginError at the first answer that is not what a browser expects. */
export async function login(
  issuer: string,
  workload: SigninWorkload,
  user: SigninUser,
  client: HttpClient = 'fetch',
): Promise<StepTimes> {
  const browser = new Browser(issuer, client);
  const times = {} as StepTimes;
  let mark = performance.now();
  const lap = (step: Step) => {
    const now = performance.now();
    times[step] = now - mark;
    mark = now;
  };
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const authorize = new URLSearchParams({
    client_id: workload.clientId,
    response_type: 'code',
    redirect_uri: workload.callback,
    scope: workload.scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });

  const loginUrl = expectRedirect(
    'authorize',
    await browser.request('authorize', `/authorize?${authorize}`),
    302,
    '/u/login?',
  );
  lap('authorize');

  const page = await browser.request('login page', loginUrl);
  if (page.status !== 200) throw new LoginError('login page', `status ${page.status}`, excerpt(page));
  const action = /<form[^>]*method="post"[^>]*action="([^"]*)"/.exec(page.text)?.[1];
  const hidden = Object.fromEntries(
    [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1],
      decodeHtml(m[2]),
    ]),
  );
  if (!action || !hidden._csrf) throw new LoginError('login page', 'no login form with a _csrf field', excerpt(page));
  if (!browser.cookie('gatehouse_csrf')) throw new LoginError('login page', 'no gatehouse_csrf cookie');
  lap('login page');

  const posted = await browser.request('login post', decodeHtml(action), {
    form: { ...hidden, email: user.email, password: user.password },
  });
  const resumeUrl = expectRedirect('login post', posted, 303, '/authorize/resume?');
  if (!browser.cookie('gatehouse_session')) throw new LoginError('login post', 'no gatehouse_session cookie');
  lap('login post');

  const callback = new URL(
    expectRedirect('resume', await browser.request('resume', resumeUrl), 302, `${workload.callback}?`),
  );
  const code = callback.searchParams.get('code');
  if (!code) throw new LoginError('resume', `no code in the callback`, callback.search.slice(0, 200));
  if (callback.searchParams.get('state') !== state) throw new LoginError('resume', 'state not returned unchanged');
  lap('resume');

  const token = await browser.request('token', '/oauth/token', {
    form: { grant_type: 'authorization_code', code, redirect_uri: workload.callback, code_verifier: verifier },
    headers: { authorization: workload.authorization },
  });
  if (token.status !== 200) throw new LoginError('token', `status ${token.status}`, excerpt(token));
  let body: { access_token?: unknown; id_token?: unknown };
  try {
    body = JSON.parse(token.text) as typeof body;
  } catch {
    throw new LoginError('token', 'not JSON', excerpt(token));
  }
  const id = claims(body.id_token);
  if (!id) throw new LoginError('token', 'no id_token (JWT) in the answer', excerpt(token));
  if (typeof body.access_token !== 'string')
    throw new LoginError('token', 'no access_token in the answer', excerpt(token));
  const aud = Array.isArray(id.aud) ? id.aud : [id.aud];
  if (id.sub !== `auth0|${user.id}` || !aud.includes(workload.clientId) || id.nonce !== nonce) {
    throw new LoginError(
      'token',
      'id_token for someone else',
      `sub ${String(id.sub)}, aud ${JSON.stringify(id.aud)}, nonce ${String(id.nonce)}`,
    );
  }
  lap('token');
  return times;
}

export interface LoadWindow {
  /** When the measured window began and ended (performance.now()). */
  startedAt: number;
  endedAt: number;
}

export interface LoadResult {
  /** Logins completed inside the measured window. */
  logins: number;
  duration_s: number;
  logins_per_s: number;
  /** Whole-login latency of the logins completed in the window, ms. */
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Mean ms of each step, over the logins completed in the window. */
  step_ms: StepTimes;
  /** Failed logins that ended in the window or after it (while the last logins finished). */
  errors: number;
  /** Failed logins during the ramp-up before the window. */
  warmup_errors: number;
  /** Failures by step and reason, with the first detail seen. */
  error_kinds: { kind: string; count: number; example: string }[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Runs `concurrency` virtual users for `warmupS` unmeasured seconds, then a measured window of `durationS`
 * seconds (`onWindow` is called at its start and at its end, for CPU snapshots), then lets the logins in
 * flight finish; users are taken in turn from the workload.
 */
export async function runSigninLoad(load: {
  issuer: string;
  workload: SigninWorkload;
  concurrency: number;
  client: HttpClient;
  warmupS: number;
  durationS: number;
  onWindow: (edge: 'start' | 'end') => void;
}): Promise<LoadResult> {
  const { workload } = load;
  let next = 0;
  let windowStart: number | undefined;
  let windowEnd: number | undefined;
  const latencies: number[] = [];
  const stepSums = Object.fromEntries(steps.map((step) => [step, 0])) as StepTimes;
  let errors = 0;
  let warmupErrors = 0;
  const kinds = new Map<string, { count: number; example: string }>();

  const startTimer = setTimeout(() => {
    windowStart = performance.now();
    load.onWindow('start');
  }, load.warmupS * 1000);
  const endTimer = setTimeout(
    () => {
      windowEnd = performance.now();
      load.onWindow('end');
    },
    (load.warmupS + load.durationS) * 1000,
  );

  const virtualUser = async () => {
    while (windowEnd === undefined) {
      const user = workload.users[next++ % workload.users.length];
      const started = performance.now();
      try {
        const times = await login(load.issuer, workload, user, load.client);
        const ended = performance.now();
        if (windowStart !== undefined && ended >= windowStart && (windowEnd === undefined || ended <= windowEnd)) {
          latencies.push(ended - started);
          for (const step of steps) stepSums[step] += times[step];
        }
      } catch (error) {
        if (windowStart === undefined) warmupErrors++;
        else errors++;
        const e =
          error instanceof LoginError ? error : new LoginError('authorize', `unexpected: ${(error as Error).message}`);
        const kind = `${e.step}: ${e.reason}`;
        const seen = kinds.get(kind);
        if (seen) seen.count++;
        else kinds.set(kind, { count: 1, example: e.detail });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: load.concurrency }, virtualUser));
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
  }
  const duration = (windowEnd! - windowStart!) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = (total: number) => (sorted.length ? total / sorted.length : 0);
  return {
    logins: sorted.length,
    duration_s: duration,
    logins_per_s: sorted.length / duration,
    latency_ms: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? 0,
      mean: mean(sorted.reduce((a, b) => a + b, 0)),
    },
    step_ms: Object.fromEntries(steps.map((step) => [step, mean(stepSums[step])])) as StepTimes,
    errors,
    warmup_errors: warmupErrors,
    error_kinds: [...kinds]
      .map(([kind, { count, example }]) => ({ kind, count, example }))
      .sort((a, b) => b.count - a.count),
  };
}
