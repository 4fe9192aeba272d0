// Request logs never hold a code, token, hint, assertion, password or secret (docs/operations.md "Logs").
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { type Bindings, type ChildLoggerOptions, type Level, type Logger, levels } from 'pino';

const sensitive = new Set([
  'code',
  'id_token_hint',
  'login_hint',
  'refresh_token',
  'client_assertion',
  'password',
  'client_secret',
  'access_token',
  'id_token',
  'otp',
  'token',
  'code_verifier',
  'device_code',
  'user_code',
  'ticket',
  // A user export's download link (GET /api/v2/jobs/{id}/file?secret=…).
  'secret',
]);

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (sensitive.has(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}

export const serializers = {
  req(request: FastifyRequest) {
    return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
  },
};

type LogArgs = [unknown, ...unknown[]];

/**
 * request.log without a pino child per request (docs/benchmarks.md "After the second pass on the token path":
 * a child costs microseconds on every token
 * request, and most requests never log). The child, with the request id, is made on the first line
 * logged at an enabled level; lines below the level cost nothing. The level is the route's `logLevel` when it
 * has one (Fastify passes it in the options), else the server's.
 */
class RequestLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly ownBindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.child().level = level;
  }

  child(bindings?: Bindings, options?: ChildLoggerOptions): Logger {
    this.#child ??= this.parent.child(this.ownBindings, this.options) as Logger;
    return bindings ? this.#child.child(bindings, options) : this.#child;
  }

  isLevelEnabled(level: string): boolean {
    return levels.values[level] >= levels.values[this.level];
  }

  bindings(): Bindings {
    return this.child().bindings();
  }

  flush(callback?: (error?: Error) => void): void {
    (this.parent as Logger).flush(callback);
  }

  #write(level: Level, args: LogArgs): void {
    if (!this.isLevelEnabled(level)) return;
    (this.child()[level] as (...a: LogArgs) => void)(...args);
  }

  fatal(...args: LogArgs) {
    this.#write('fatal', args);
  }
  error(...args: LogArgs) {
    this.#write('error', args);
  }
  warn(...args: LogArgs) {
    this.#write('warn', args);
  }
  info(...args: LogArgs) {
    this.#write('info', args);
  }
  debug(...args: LogArgs) {
    this.#write('debug', args);
  }
  trace(...args: LogArgs) {
    this.#write('trace', args);
  }
  silent() {}
}

/** Fastify's childLoggerFactory: request.log is a RequestLogger. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
