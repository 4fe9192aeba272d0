// Request logs never hold a code, token, hint, assertion, password or secret (SPEC.md §6).
import type { FastifyRequest } from 'fastify';

const sensitive = new Set([
  'code', 'id_token_hint', 'login_hint', 'refresh_token', 'client_assertion', 'password', 'client_secret',
  'access_token', 'id_token', 'otp', 'token', 'code_verifier', 'device_code', 'user_code', 'ticket',
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
