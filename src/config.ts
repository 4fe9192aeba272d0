// The one typed configuration. Only this file reads process.env; CLI flags of `gatehouse start`
// (`--port 4000`, `--database-url sqlite:./x.db`, …) override the matching GATEHOUSE_* variables.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defaultMaxConnections } from './file-limit.js';

/** HTTPS served by Gatehouse itself (docs/https.md); undefined when it serves plain HTTP. */
export type TlsSettings =
  /** A local certificate authority in `dir` issues a certificate for `hosts`. */
  | { readonly mode: 'auto'; readonly dir: string; readonly hosts: readonly string[] }
  /** The operator's PEM files, read again on SIGHUP. */
  | { readonly mode: 'files'; readonly certPath: string; readonly keyPath: string };

export interface Config {
  /** `test`: one worker, a throw-away database, the /test/ API, fast password hashes (docs/testing-your-app.md). */
  readonly mode: 'standard' | 'test';
  /** Test mode without GATEHOUSE_DATABASE_URL: the folder of the temporary SQLite file, deleted at exit. */
  readonly temporaryDatabaseDir: string | undefined;
  readonly port: number;
  readonly host: string;
  /** Always ends with `/` (Auth0 style); every endpoint URL derives from it. */
  readonly issuer: string;
  readonly databaseUrl: string;
  /** Seconds a start waits for a SQLite database that another process holds locked before giving up. */
  readonly databaseLockTimeout: number;
  /** PostgreSQL: milliseconds a request waits for a connection or a query before it is answered 503. */
  readonly databaseTimeoutMs: number;
  readonly bootstrapPath: string | undefined;
  /** Undefined only for SQLite, where a secret is generated beside the database file. */
  readonly secret: string | undefined;
  readonly adminClientId: string | undefined;
  readonly adminClientSecret: string | undefined;
  /** smtp://… or smtps://… (delivery/smtp.ts); without it e-mails are only logged. */
  readonly smtpUrl: string | undefined;
  /** The From of every e-mail unless a template sets its own. */
  readonly smtpFrom: string;
  /** A PEM file of the CA certificates the mail server's certificate is checked against (instead of the system's). */
  readonly smtpCa: string | undefined;
  /** Where text messages are POSTed (delivery/sms-webhook.ts); without it they are only logged. */
  readonly smsWebhookUrl: string | undefined;
  /** The HMAC key of the webhook's X-Gatehouse-Signature; required with smsWebhookUrl. */
  readonly smsWebhookSecret: string | undefined;
  readonly workers: number;
  readonly logLevel: string;
  /** Pending login transactions (started, not completed, not expired) per network and per browser. */
  readonly maxPendingLoginsPerIp: number;
  readonly maxPendingLoginsPerBrowser: number;
  /** Open connections per worker; past it a new connection is answered 503 and closed. */
  readonly maxConnections: number;
  /** Milliseconds a client has to send a request's headers (Node's headersTimeout), answered 408 after. */
  readonly headersTimeoutMs: number;
  /** Milliseconds a client has to send a whole request, body included (requestTimeout); also the longest a connection may stay silent. */
  readonly requestTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection is kept between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Milliseconds a worker may miss the primary's heartbeats before it is replaced. */
  readonly heartbeatTimeoutMs: number;
  /** Whether events are recorded (rows and log lines); off only to measure what recording costs. */
  readonly auditLog: boolean;
  /** Days audit events are kept; older ones are never answered and are deleted in small batches. */
  readonly logRetentionDays: number;
  /** Seconds a device code and its user code live (RFC 8628 §3.2 expires_in). */
  readonly deviceCodeLifetime: number;
  readonly tls: TlsSettings | undefined;
  /** A port of its own for /metrics, on the loopback interface only; undefined: no such port. */
  readonly metricsPort: number | undefined;
  /** The bearer token that opens /metrics on the main port; undefined: /metrics is not found there. */
  readonly metricsToken: string | undefined;
  /** Proxies (IPs and CIDR ranges) whose X-Forwarded-For and X-Request-Id are believed; none by default. */
  readonly trustProxy: readonly string[];
}

export class ConfigError extends Error {}

// Caps on pending sign-ins (docs/sign-in.md "Pending sign-ins").
const pendingLoginVariables = {
  maxPendingLoginsPerIp: 'GATEHOUSE_MAX_PENDING_LOGINS_PER_IP',
  maxPendingLoginsPerBrowser: 'GATEHOUSE_MAX_PENDING_LOGINS_PER_BROWSER',
} as const;

const variables = {
  ...pendingLoginVariables,
  mode: 'GATEHOUSE_MODE',
  port: 'GATEHOUSE_PORT',
  host: 'GATEHOUSE_HOST',
  issuer: 'GATEHOUSE_ISSUER',
  databaseUrl: 'GATEHOUSE_DATABASE_URL',
  databaseLockTimeout: 'GATEHOUSE_DATABASE_LOCK_TIMEOUT',
  databaseTimeout: 'GATEHOUSE_DATABASE_TIMEOUT',
  bootstrapPath: 'GATEHOUSE_BOOTSTRAP',
  secret: 'GATEHOUSE_SECRET',
  adminClientId: 'GATEHOUSE_ADMIN_CLIENT_ID',
  adminClientSecret: 'GATEHOUSE_ADMIN_CLIENT_SECRET',
  smtpUrl: 'GATEHOUSE_SMTP_URL',
  smtpFrom: 'GATEHOUSE_SMTP_FROM',
  smtpCa: 'GATEHOUSE_SMTP_CA',
  smsWebhookUrl: 'GATEHOUSE_SMS_WEBHOOK_URL',
  smsWebhookSecret: 'GATEHOUSE_SMS_WEBHOOK_SECRET',
  workers: 'GATEHOUSE_WORKERS',
  logLevel: 'GATEHOUSE_LOG_LEVEL',
  maxConnections: 'GATEHOUSE_MAX_CONNECTIONS',
  headersTimeout: 'GATEHOUSE_HEADERS_TIMEOUT',
  requestTimeout: 'GATEHOUSE_REQUEST_TIMEOUT',
  keepAliveTimeout: 'GATEHOUSE_KEEP_ALIVE_TIMEOUT',
  heartbeatTimeout: 'GATEHOUSE_HEARTBEAT_TIMEOUT',
  auditLog: 'GATEHOUSE_AUDIT_LOG',
  logRetentionDays: 'GATEHOUSE_LOG_RETENTION_DAYS',
  deviceCodeLifetime: 'GATEHOUSE_DEVICE_CODE_LIFETIME',
  tls: 'GATEHOUSE_TLS',
  tlsHosts: 'GATEHOUSE_TLS_HOSTS',
  tlsDir: 'GATEHOUSE_TLS_DIR',
  tlsCert: 'GATEHOUSE_TLS_CERT',
  tlsKey: 'GATEHOUSE_TLS_KEY',
  metricsPort: 'GATEHOUSE_METRICS_PORT',
  metricsToken: 'GATEHOUSE_METRICS_TOKEN',
  trustProxy: 'GATEHOUSE_TRUST_PROXY',
} as const;

/** Flags that take no value: `--https` is `--tls auto`. */
const switches: Record<string, [Key, string]> = { '--https': ['tls', 'auto'] };

type Key = keyof typeof variables;

/** GATEHOUSE_DATABASE_URL → --database-url */
const flagOf = (variable: string) => `--${variable.slice('GATEHOUSE_'.length).toLowerCase().replaceAll('_', '-')}`;

/** Every option of `gatehouse start` with its variable, for `--help` (docs/configuration.md describes each). */
export function startOptions(): { flag: string; variable: string }[] {
  const flags = Object.values(variables).map((variable) => ({ flag: flagOf(variable), variable }));
  return [
    ...flags,
    { flag: '--https', variable: `${variables.tls}=auto` },
    { flag: '--test', variable: `${variables.mode}=test` },
  ];
}

/** `--database-url x` and `--database-url=x` → { databaseUrl: 'x' } */
function parseFlags(argv: readonly string[]): Partial<Record<Key, string>> {
  const byFlag = new Map<string, Key>((Object.keys(variables) as Key[]).map((key) => [flagOf(variables[key]), key]));
  const out: Partial<Record<Key, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    // The one flag without a value: `--test` is `--mode test`.
    if (argv[i] === '--test') {
      out.mode = 'test';
      continue;
    }
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (switches[flag] && inline === undefined) {
      out[switches[flag][0]] = switches[flag][1];
      continue;
    }
    const key = byFlag.get(flag);
    if (!key) throw new ConfigError(`Unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`Option ${flag} needs a value`);
    out[key] = value;
  }
  return out;
}

function positiveInt(name: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function onOff(name: string, raw: string): boolean {
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(`${name} must be on or off, got "${raw}"`);
  return raw === 'on';
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** pino's levels; checked here so that a typo is one clear line, not pino's stack trace. */
function logLevel(raw: string): string {
  if (!logLevels.includes(raw))
    throw new ConfigError(`${variables.logLevel} must be one of ${logLevels.join(', ')}, got "${raw}"`);
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): Config {
  const flags = parseFlags(argv);
  const get = (key: Key): string | undefined => {
    const value = flags[key] ?? env[variables[key]];
    return value === undefined || value === '' ? undefined : value;
  };

  const mode = get('mode') ?? 'standard';
  if (mode !== 'standard' && mode !== 'test')
    throw new ConfigError(`${variables.mode} must be standard or test, got "${mode}"`);
  const test = mode === 'test';
  const port = positiveInt(variables.port, get('port') ?? '3000', 65535);
  const tlsWanted = tlsRequested(get);
  let issuer = get('issuer') ?? `${tlsWanted ? 'https' : 'http'}://localhost:${port}/`;
  let parsed: URL;
  try {
    parsed = new URL(issuer);
  } catch {
    throw new ConfigError(`${variables.issuer} must be an absolute URL, got "${issuer}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`${variables.issuer} must be an http or https URL`);
  }
  if (parsed.search || parsed.hash) throw new ConfigError(`${variables.issuer} must not have a query or fragment`);
  if (!issuer.endsWith('/')) issuer += '/';
  if (tlsWanted && parsed.protocol !== 'https:') {
    throw new ConfigError(`${variables.issuer} must be an https URL when Gatehouse serves HTTPS, got "${issuer}"`);
  }

  // Test mode without a database of its own: a fresh SQLite file in a folder of its own, deleted at exit (main.ts).
  const temporaryDatabaseDir =
    test && get('databaseUrl') === undefined
      ? join(tmpdir(), `gatehouse-test-${process.pid}-${randomBytes(6).toString('hex')}`)
      : undefined;
  const databaseUrl =
    get('databaseUrl') ??
    (temporaryDatabaseDir ? `sqlite:${join(temporaryDatabaseDir, 'gatehouse.db')}` : 'sqlite:./data/gatehouse.db');
  if (!/^sqlite:.+/.test(databaseUrl) && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`${variables.databaseUrl} must be sqlite:<file> or postgres://…`);
  }
  const secret = get('secret');
  if (!secret && !databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(`${variables.secret} is required with a PostgreSQL database (every instance must share it)`);
  }
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError(`${variables.secret} must be at least 32 characters`);
  }
  const adminClientId = get('adminClientId');
  const adminClientSecret = get('adminClientSecret');
  if ((adminClientId === undefined) !== (adminClientSecret === undefined)) {
    throw new ConfigError(`${variables.adminClientId} and ${variables.adminClientSecret} go together`);
  }
  if (adminClientSecret !== undefined && adminClientSecret.length < 32) {
    throw new ConfigError(`${variables.adminClientSecret} must be at least 32 characters`);
  }

  // Timeouts are given in seconds; an hour is far beyond any sensible value for any of them.
  const seconds = (key: Key, fallback: number) =>
    positiveInt(variables[key], get(key) ?? String(fallback), 3600) * 1000;
  const headersTimeoutMs = seconds('headersTimeout', 15);
  const requestTimeoutMs = seconds('requestTimeout', 30);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `${variables.headersTimeout} must not be longer than ${variables.requestTimeout} (the headers are part of the request)`,
    );
  }

  if (test && get('workers') !== undefined && get('workers') !== '1') {
    // The test API's clock and captured messages live in the one process that serves.
    throw new ConfigError(`${variables.mode}=test runs one worker; leave ${variables.workers} unset or 1`);
  }

  return Object.freeze({
    mode: mode as Config['mode'],
    temporaryDatabaseDir,
    port,
    host: get('host') ?? '127.0.0.1',
    issuer,
    databaseUrl,
    databaseLockTimeout: positiveInt(variables.databaseLockTimeout, get('databaseLockTimeout') ?? '30', 3600),
    databaseTimeoutMs: seconds('databaseTimeout', 5),
    bootstrapPath: get('bootstrapPath'),
    secret,
    adminClientId,
    adminClientSecret,
    ...deliverySettings(get, parsed.hostname),
    workers: test ? 1 : positiveInt(variables.workers, get('workers') ?? String(availableParallelism()), 256),
    logLevel: logLevel(get('logLevel') ?? 'info'),
    ...pendingLoginLimits(get),
    maxConnections: positiveInt(
      variables.maxConnections,
      get('maxConnections') ?? String(defaultMaxConnections()),
      1_000_000,
    ),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: seconds('keepAliveTimeout', 5),
    heartbeatTimeoutMs: seconds('heartbeatTimeout', 30),
    auditLog: onOff(variables.auditLog, get('auditLog') ?? 'on'),
    logRetentionDays: positiveInt(variables.logRetentionDays, get('logRetentionDays') ?? '30', 36500),
    // Auth0's device codes live 900 s (Auth0 docs: "Call Your API Using the Device Authorization Flow"); a day at most.
    deviceCodeLifetime: positiveInt(variables.deviceCodeLifetime, get('deviceCodeLifetime') ?? '900', 86400),
    tls: tlsSettings(get, databaseUrl, parsed.hostname, temporaryDatabaseDir !== undefined),
    ...observabilitySettings(get, port),
  });
}

/** Whether HTTPS is asked for: GATEHOUSE_TLS=auto (`--https`) or a certificate of one's own. */
function tlsRequested(get: (key: Key) => string | undefined): boolean {
  const mode = get('tls') ?? 'off';
  if (mode !== 'auto' && mode !== 'off') throw new ConfigError(`${variables.tls} must be auto or off, got "${mode}"`);
  return mode === 'auto' || get('tlsCert') !== undefined || get('tlsKey') !== undefined;
}

/** A DNS name (a leading `*.` allowed) or an IP address, as a certificate's subjectAltName holds them (RFC 5280 §4.2.1.6). */
const certificateHost = (host: string) =>
  isIP(host) !== 0 || /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host);

/** HTTPS settings (docs/https.md). */
function tlsSettings(
  get: (key: Key) => string | undefined,
  databaseUrl: string,
  issuerHost: string,
  throwawayDatabase: boolean,
) {
  const certPath = get('tlsCert');
  const keyPath = get('tlsKey');
  if (get('tls') === 'auto') {
    if (certPath !== undefined || keyPath !== undefined) {
      throw new ConfigError(
        `${variables.tls}=auto makes its own certificate: leave out ${variables.tlsCert} and ${variables.tlsKey}`,
      );
    }
    const extra = (get('tlsHosts') ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean);
    const hosts = [...new Set(['localhost', '127.0.0.1', '::1', issuerHost.replace(/^\[(.*)\]$/, '$1'), ...extra])];
    for (const host of hosts) {
      if (!certificateHost(host))
        throw new ConfigError(`${variables.tlsHosts} must list host names or IP addresses, got "${host}"`);
    }
    // Beside a SQLite database; for PostgreSQL, ./data (where the default SQLite database lives). Test mode's
    // throw-away database uses ./data too: the CA a test runner was told to trust must outlive the run.
    const sqlite =
      !throwawayDatabase && databaseUrl.startsWith('sqlite:')
        ? resolve(databaseUrl.slice('sqlite:'.length))
        : undefined;
    const dir = resolve(get('tlsDir') ?? (sqlite ? dirname(sqlite) : 'data'));
    return Object.freeze({ mode: 'auto' as const, dir, hosts: Object.freeze(hosts) });
  }
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new ConfigError(`${variables.tlsCert} and ${variables.tlsKey} go together`);
  }
  return Object.freeze({ mode: 'files' as const, certPath: resolve(certPath), keyPath: resolve(keyPath) });
}

/** /metrics and the proxies in front (docs/operations.md "Observability"). */
function observabilitySettings(get: (key: Key) => string | undefined, port: number) {
  const rawPort = get('metricsPort');
  const metricsPort = rawPort === undefined ? undefined : positiveInt(variables.metricsPort, rawPort, 65535);
  if (metricsPort === port) throw new ConfigError(`${variables.metricsPort} must differ from ${variables.port}`);
  const metricsToken = get('metricsToken');
  if (metricsToken !== undefined && (metricsToken.length < 32 || /\s/.test(metricsToken))) {
    throw new ConfigError(`${variables.metricsToken} must be at least 32 characters, without spaces`);
  }
  const trustProxy = (get('trustProxy') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of trustProxy) {
    const [address, prefix, extra] = entry.split('/');
    const version = isIP(address);
    const bits = version === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (!version || !prefixOk || extra !== undefined) {
      throw new ConfigError(`${variables.trustProxy} takes IP addresses and CIDR ranges (10.0.0.0/8), got "${entry}"`);
    }
  }
  return { metricsPort, metricsToken, trustProxy: Object.freeze(trustProxy) };
}

/** Mail server and SMS webhook (docs/email-and-passwordless.md). */
function deliverySettings(get: (key: Key) => string | undefined, issuerHost: string) {
  const smtpUrl = get('smtpUrl');
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {}
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
      throw new ConfigError(`${variables.smtpUrl} must be smtp://host[:port] or smtps://host[:port]`);
    }
    for (const [name, value] of url.searchParams) {
      if (name !== 'requireTLS' || (value !== 'true' && value !== 'false'))
        throw new ConfigError(`${variables.smtpUrl} takes only ?requireTLS=true or false, got "${name}=${value}"`);
    }
  }
  const smtpFrom = get('smtpFrom') ?? `no-reply@${issuerHost.replace(/^\[(.*)\]$/, '$1')}`;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(smtpFrom) && !/^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(smtpFrom)) {
    throw new ConfigError(`${variables.smtpFrom} must be an address (a@b or Name <a@b>), got "${smtpFrom}"`);
  }
  const smsWebhookUrl = get('smsWebhookUrl');
  const smsWebhookSecret = get('smsWebhookSecret');
  if (smsWebhookUrl !== undefined && !/^https?:\/\/[^/]/.test(smsWebhookUrl)) {
    throw new ConfigError(`${variables.smsWebhookUrl} must be an http or https URL`);
  }
  if (smsWebhookUrl !== undefined && (smsWebhookSecret === undefined || smsWebhookSecret.length < 32)) {
    throw new ConfigError(`${variables.smsWebhookUrl} needs ${variables.smsWebhookSecret} of at least 32 characters`);
  }
  return { smtpUrl, smtpFrom, smtpCa: get('smtpCa'), smsWebhookUrl, smsWebhookSecret };
}

/** Defaults roomy enough that an office behind one NAT address or a browser test suite never meets them. */
function pendingLoginLimits(get: (key: Key) => string | undefined) {
  return {
    maxPendingLoginsPerIp: positiveInt(
      variables.maxPendingLoginsPerIp,
      get('maxPendingLoginsPerIp') ?? '1000',
      1_000_000,
    ),
    maxPendingLoginsPerBrowser: positiveInt(
      variables.maxPendingLoginsPerBrowser,
      get('maxPendingLoginsPerBrowser') ?? '50',
      1_000_000,
    ),
  };
}

/** Whether a failed command should print its stack: GATEHOUSE_LOG_LEVEL (or --log-level) is debug or trace. */
/** A tenant file's `${NAME}` placeholder is the environment variable NAME (docs/tenant-as-code.md). */
export function environmentVariable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

export function wantsStacks(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): boolean {
  try {
    return ['debug', 'trace'].includes(loadConfig(env, argv).logLevel);
  } catch {
    return ['debug', 'trace'].includes(env[variables.logLevel] ?? '');
  }
}

/** Endpoint URLs, all derived from the issuer. */
export function endpoints(issuer: string) {
  return {
    token: `${issuer}oauth/token`,
    deviceAuthorization: `${issuer}oauth/device/code`,
    activate: `${issuer}activate`,
    revocation: `${issuer}oauth/revoke`,
    introspection: `${issuer}oauth/introspect`,
    jwks: `${issuer}.well-known/jwks.json`,
    discovery: `${issuer}.well-known/openid-configuration`,
    managementAudience: `${issuer}api/v2/`,
  } as const;
}
