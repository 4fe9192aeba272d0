// The hostile-input suites' shared parts: a raw HTTP/1.1 client (so a request may repeat a header, carry bytes
// fetch refuses, or lie about its content type), fast-check arbitraries for parameters, bodies, content types
// and headers, and the property every answer must keep (docs/operations.md, "Hostile input"):
//   - the status is 2xx, 3xx or 4xx, never 5xx; a redirect goes to a registered URI or the server's own pages;
//   - the body is in the endpoint's shape (OAuth JSON, Auth0's /dbconnections or /api/v2 JSON, an HTML page);
//   - no body holds a stack trace, a file path, a driver or SQL message, the master secret or a client secret;
//   - no request goes unanswered for HANG_MS.
// FUZZ_RUNS sets the runs per property (CI uses each suite's default); FUZZ_SEED replays a failure's seed, and
// FUZZ_PATH its shrunk path, as fast-check prints them.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { TEST_SECRET } from '../helpers/server.js';

/** A request still unanswered after this long is a hang (generous: the machine is shared; no speed is asserted). */
export const HANG_MS = 10_000;

/** fast-check's settings for one property: `runs` in CI unless FUZZ_RUNS says otherwise; a seed to replay. */
export function fuzzParameters(runs: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : runs,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
    // The whole request and answer of a failure, not only the shrunk arguments.
    verbose: 1,
  };
}

export interface RawRequest {
  method: string;
  /** Path with its query string, as it goes on the request line. */
  target: string;
  headers: [string, string][];
  body?: Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n', at);
    if (end < 0) break;
    const size = Number.parseInt(data.subarray(at, end).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseAnswer(data: Buffer): RawAnswer {
  // An interim answer (100 Continue to a client that sent Expect) comes before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    data = data.subarray(data.indexOf('\r\n\r\n') + 4);
  }
  const split = data.indexOf('\r\n\r\n');
  assert.ok(split > 0, `not an HTTP answer: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const raw = data.subarray(split + 4);
  const chunked = headers.get('transfer-encoding')?.some((v) => v.toLowerCase().includes('chunked'));
  return { status, headers, body: (chunked ? decodeChunked(raw) : raw).toString('utf8') };
}

/** Sends one request on its own connection and reads the answer to the close; fails the property on a hang. */
export function send(port: number, request: RawRequest): Promise<RawAnswer> {
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    'connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(request.body !== undefined ? [`content-length: ${request.body.length}`] : []),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${HANG_MS} ms: ${request.method} ${request.target.slice(0, 200)}`));
    }, HANG_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while the body is still being written (a 413, a 431): what it answered counts.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), request.body ?? Buffer.alloc(0)]));
  });
}

// ---------------------------------------------------------------------------------------------- arbitraries

/** Strings that have broken parsers, templates and queries elsewhere. */
const nasty = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  '[]',
  '{}',
  '%',
  '%zz',
  '%E0%A4%A',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '../../../../etc/passwd',
  '{{7*7}}',
  '{% raw %}',
  '{{ "x" | append: settings }}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'https://evil.example/cb',
  '//evil.example',
  'javascript:alert(1)',
  '\uD800',
  '\uFEFF',
  '\u202E',
  'a'.repeat(5000),
];

/** A parameter value: a known good value for the endpoint, a generated string, or a nasty one. */
export function valueFrom(good: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: good.length ? fc.constantFrom(...good) : fc.constant('x') },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.constantFrom(...nasty) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 70_000 }).map((n) => 'A'.repeat(n)) },
  );
}

const pollutingKeys = [
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[admin]',
  'constructor[prototype][x]',
  'a[b]',
];

/** Parameter names: the endpoint's own, prototype-polluting ones, or generated ones. */
export function keyOf(names: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom(...pollutingKeys) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

export type Pairs = [string, string][];

/**
 * Parameters: some of a good request's (kept, replaced, repeated) plus generated ones, in any order. Keys may
 * repeat, as a query string or form lets them.
 */
export function paramsOf(names: readonly string[], base: Record<string, string> = {}, good: readonly string[] = []) {
  const entries = Object.entries(base) as Pairs;
  return fc
    .tuple(
      fc.subarray(entries),
      fc.array(fc.tuple(keyOf(names), valueFrom([...good, ...Object.values(base)])), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 3 }),
    )
    .chain(([kept, extra, repeats]) => {
      const all = [...kept, ...extra];
      const repeated = all.length ? repeats.map((i) => all[i % all.length]) : [];
      return fc.shuffledSubarray([...all, ...repeated], { minLength: all.length + repeated.length });
    });
}

/** A JSON value of a wrong type, or deep, or wide: what a schema must refuse without falling over. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, 2 ** 63, 1e300, -1e300, [], {}, ['a'], { a: 'b' }),
  fc.integer({ min: 50, max: 3000 }).map((depth) => {
    let value: unknown = 'x';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    return value;
  }),
  fc.integer({ min: 100, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}')),
);

/** Text of a JSON object with these pairs, repeated keys kept (JSON.stringify would merge them). */
function jsonObjectText(pairs: [string, unknown][]): string {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

const formText = (pairs: Pairs) =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '?'))}`).join('&');

const formTypes = [
  'application/x-www-form-urlencoded',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded;;;charset="utf-8";x=',
];
const jsonTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON; charset=UTF-16',
  'application/json; charset=ucs-4',
  'application/vnd.api+json',
  'application/json;',
];
const otherTypes = [
  'text/plain',
  'text/html',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'application',
  ';',
  'multipart/form-data',
  'application/x-www-form-urlencoded, application/json',
];

export interface Body {
  contentType?: string;
  /** More headers the body comes with (a second content type, an encoding). */
  headers: Pairs;
  bytes?: Buffer;
}

/** A body for these parameters: a form, JSON (wrong types, repeated keys), multipart, junk or none. */
export function bodyOf(params: fc.Arbitrary<Pairs>): fc.Arbitrary<Body> {
  const text = (contentType: string | undefined, body: string, headers: Pairs = []): Body => ({
    contentType,
    headers,
    bytes: Buffer.from(body, 'utf8'),
  });
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(params, fc.constantFrom(...formTypes)).map(([p, t]) => text(t, formText(p))) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(params, fc.array(oddJson, { maxLength: 3 }), fc.constantFrom(...jsonTypes))
        .map(([p, odd, t]) =>
          text(t, jsonObjectText([...p, ...odd.map((v, i): [string, unknown] => [p[i]?.[0] ?? 'client_id', v])])),
        ),
    },
    { weight: 1, arbitrary: oddJson.map((v) => text('application/json', JSON.stringify(v) ?? 'null')) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('{', '{"a":', '[1,2', '{"a":1}garbage', '\u0000', '\uFEFF{}', "{'a':1}", '{"a":1e999999}')
        .map((t) => text('application/json', t)),
    },
    {
      weight: 1,
      arbitrary: params.map((p) => {
        const boundary = 'fuzzBoundary';
        const parts = p.map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
        return text(`multipart/form-data; boundary=${boundary}`, `${parts.join('')}--${boundary}--\r\n`);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(params, fc.option(fc.constantFrom(...otherTypes, ...formTypes, ...jsonTypes), { nil: undefined }))
        .map(([p, t]) => text(t, formText(p))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(params, fc.constantFrom(...formTypes), fc.constantFrom(...jsonTypes, 'text/plain'))
        .map(([p, t, second]) => text(t, formText(p), [['content-type', second]])),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(params, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'))
        .map(([p, encoding]) => text(formTypes[0], formText(p), [['content-encoding', encoding]])),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((b) => ({ contentType: 'application/json', headers: [], bytes: Buffer.from(b) })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60_000, max: 1_200_000 }).map((n) => text(formTypes[0], `a=${'b'.repeat(n)}`)),
    },
    { weight: 1, arbitrary: fc.constant<Body>({ contentType: undefined, headers: [] }) },
  );
}

const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

/**
 * Headers a hostile client sends: odd Authorization schemes (or two of them), huge or malformed cookies, a
 * strange Origin. `authorizations` are good values for the endpoint (a valid token or client's Basic pair).
 */
export function headersOf(
  authorizations: readonly string[] = [],
  cookies: readonly string[] = [],
): fc.Arbitrary<Pairs> {
  const authorization = fc.oneof(
    fc.constantFrom(...authorizations, 'Bearer', 'Bearer ', 'Basic', 'Basic !!!', 'Basic Og==', 'Basic YTpiOmM6ZA=='),
    printable.map((s) => `Bearer ${s}`),
    printable.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
    fc
      .tuple(fc.constantFrom('Digest', 'DPoP', 'Negotiate', 'bearer', 'BEARER', 'Token', 'AWS4-HMAC-SHA256'), printable)
      .map(([a, b]) => `${a} ${b}`),
  );
  const cookie = fc.oneof(
    fc.constantFrom(...cookies, 'a=b; a=c;;; =; ==', 'gatehouse_session=%zz', 'gatehouse_csrf=;gatehouse_csrf=x'),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => `gatehouse_session=${'s'.repeat(n)}`),
    printable.map((s) => `gatehouse_session=${s}; gatehouse_browser=${s}; gatehouse_csrf=${s}`),
  );
  const header = fc.oneof(
    authorization.map((v): [string, string] => ['authorization', v]),
    cookie.map((v): [string, string] => ['cookie', v]),
    fc
      .constantFrom('null', 'http://localhost:3007', 'https://evil.example', 'file://', '*')
      .map((v): [string, string] => ['origin', v]),
    printable.map((v): [string, string] => ['x-forwarded-for', v]),
    fc.constantFrom('*/*', 'application/json', 'text/html', 'x').map((v): [string, string] => ['accept', v]),
    fc.constantFrom('100-continue', 'x').map((v): [string, string] => ['expect', v]),
  );
  return fc.array(header, { maxLength: 4 });
}

/** A query string of these pairs (each key and value percent-encoded) and, maybe, raw junk after it. */
export function queryOf(pairs: Pairs, junk?: string): string {
  const text = formText(pairs);
  const query = [text, junk].filter(Boolean).join('&');
  return query ? `?${query}` : '';
}

export const queryJunk = fc.option(
  fc.constantFrom('%', '%zz', '=&=&', 'a[]=1&a[]=2', '&&&', '%00=%00', 'a=%E0%A4%A', '%u0041=1'),
  {
    nil: undefined,
  },
);

/** The full request for a path and generated parts. */
export function rawRequest(
  method: string,
  path: string,
  query: Pairs,
  body: Body | undefined,
  headers: Pairs,
  junk?: string,
): RawRequest {
  return {
    method,
    target: `${path}${queryOf(query, junk)}`,
    headers: [
      ...(body?.contentType !== undefined ? [['content-type', body.contentType] as [string, string]] : []),
      ...(body?.headers ?? []),
      ...headers,
    ],
    body: body?.bytes,
  };
}

// ------------------------------------------------------------------------------------------------ the property

export type Shape = 'oauth' | 'dbconnections' | 'management' | 'html' | 'cross-origin';

export interface Expectations {
  shape: Shape;
  /** The server's issuer (its own pages are relative or under it). */
  issuer: string;
  /** Registered redirect and logout URIs (query and fragment ignored). */
  registered: readonly string[];
  /** Secrets no answer may show. */
  secrets: readonly string[];
}

const leaks: [string, RegExp][] = [
  ['a stack trace', /\n\s+at (?:async )?[\w$.<>[\] ]+ \(|\n\s+at (?:file:|node:|\/)|:\d+:\d+\)/],
  ['a file path', /\/(work|home|tmp|usr|root|srv|opt)\/|node_modules|file:\/\/|\.(ts|js|mjs|cjs):\d+/],
  [
    'a driver or SQL message',
    /SQLITE_|sqlite|better-sqlite3|syntax error at or near|violates .{0,40}constraint|duplicate key value|relation "|column "|invalid input syntax|null value in column|unterminated|SqliteError|DatabaseError|kysely|ECONNREFUSED|pg_/i,
  ],
  [
    'a framework message',
    // Names as whole words: a page's random CSP nonce or CSRF token (base64url) holds "ajv" once in a few
    // thousand pages, which made this check fail at random.
    /\bFST_[A-Z_]+|\bFastify\b|\bajv\b|Unexpected token|JSON\.parse|in JSON at position|Cannot read prop|is not a function|undefined is not/,
  ],
];

const withoutQuery = (url: string) => url.split(/[?#]/, 1)[0];

/** Asserts the property of one answer; `label` says which request it was. */
export function assertSafe(answer: RawAnswer, expect: Expectations, label: string) {
  const where = `${label}\n→ ${answer.status} ${answer.body.slice(0, 600)}`;
  assert.ok(answer.status >= 200 && answer.status < 500, `status ${answer.status}: ${where}`);
  for (const [what, pattern] of leaks) assert.doesNotMatch(answer.body, pattern, `${what} in the body: ${where}`);
  for (const secret of [TEST_SECRET, ...expect.secrets])
    assert.ok(!answer.body.includes(secret), `a secret in the body: ${where}`);

  if (answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.get('location')?.[0];
    assert.ok(location, `a redirect without a Location: ${where}`);
    const own = (location.startsWith('/') && !/^\/[/\\]/.test(location)) || location.startsWith(expect.issuer);
    const registered = expect.registered.some((uri) => withoutQuery(location) === withoutQuery(uri));
    assert.ok(own || registered, `a redirect to ${location}: ${where}`);
    return;
  }
  const type = answer.headers.get('content-type')?.[0] ?? '';
  // Node's HTTP server refuses a request it cannot read (bad header bytes, headers too large) or an Expect it
  // does not know (RFC 9110 §10.1.1) before any route sees it, with a bare 400, 431 or 417 and no body: that
  // is the connection's answer, not an endpoint's.
  if ([400, 417, 431].includes(answer.status) && answer.body === '' && !type) return;
  // A HEAD answer has the headers of a GET and no body; a CORS preflight's refusal (403) has none either.
  if (label.startsWith('HEAD ') || (label.startsWith('OPTIONS ') && answer.body === '')) return;
  const json = () => {
    assert.match(type, /^application\/json/, `content type ${type}: ${where}`);
    return JSON.parse(answer.body) as Record<string, unknown>;
  };
  const error = answer.status >= 400;
  switch (expect.shape) {
    case 'oauth':
    case 'cross-origin': {
      if (!error) {
        if (answer.body) json();
        return;
      }
      const body = json();
      assert.equal(typeof body.error, 'string', `no error code: ${where}`);
      assert.ok(['string', 'undefined'].includes(typeof body.error_description), `error_description: ${where}`);
      return;
    }
    case 'dbconnections': {
      if (!error) return;
      const body = json();
      assert.equal(typeof (body.error ?? body.code), 'string', `no error code: ${where}`);
      assert.equal(body.statusCode ?? answer.status, answer.status, `statusCode: ${where}`);
      return;
    }
    case 'management': {
      if (!error) {
        if (answer.body) json();
        return;
      }
      const body = json();
      assert.equal(body.statusCode, answer.status, `statusCode: ${where}`);
      assert.equal(typeof body.error, 'string', `error: ${where}`);
      assert.equal(typeof body.message, 'string', `message: ${where}`);
      assert.ok(['string', 'undefined'].includes(typeof body.errorCode), `errorCode: ${where}`);
      return;
    }
    case 'html':
      if (answer.status === 204) return;
      // The pages are HTML; /authorize's web_message and the JSON answers a page's script reads are JSON.
      assert.match(type, /^(text\/html|application\/json)/, `content type ${type}: ${where}`);
      return;
  }
}

/** Describes a request for a failure message (bodies cut short). */
export function describeRequest(request: RawRequest): string {
  const body = request.body ? request.body.toString('utf8').slice(0, 300) : '';
  return `${request.method} ${request.target.slice(0, 300)}\n${request.headers.map(([n, v]) => `${n}: ${v.slice(0, 120)}`).join('\n')}\n\n${body}`;
}
