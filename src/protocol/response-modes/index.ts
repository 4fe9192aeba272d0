// How an authorization response reaches the client (OAuth 2.0 Multiple Response Type Encoding Practices,
// Form Post Response Mode, Auth0's web_message): a name → function map, as node-oidc-provider keeps it.
// Each returns plain data — where the answer goes and with which fields; the browser surface renders
// form_post and web_message pages from it (login/authorization-response.ts). No HTML is made here.

/** The response_mode values /authorize accepts. */
export const responseModeNames = ['query', 'fragment', 'form_post', 'web_message'] as const;
export type ResponseMode = (typeof responseModeNames)[number];

export const isResponseMode = (value: string): value is ResponseMode =>
  (responseModeNames as readonly string[]).includes(value);

type Params = Record<string, string | undefined>;
export type ResponseFields = Record<string, string>;

export type AuthorizationResponse =
  /** A redirect to `location`, the fields in its query or fragment. */
  | { mode: 'query' | 'fragment'; location: string }
  /** A page that posts `fields` to `action` (the redirect URI). */
  | { mode: 'form_post'; action: string; fields: ResponseFields }
  /** A page that posts `fields` to the window that opened or framed it, addressed to `action`'s origin. */
  | { mode: 'web_message'; action: string; fields: ResponseFields; webOrigins: readonly string[] };

/** The parameters that have a value, in order. */
function defined(params: Params): ResponseFields {
  const fields: ResponseFields = {};
  for (const [name, value] of Object.entries(params)) if (value !== undefined) fields[name] = value;
  return fields;
}

/** The redirect URI with the fields added to its query (keeping its own parameters) or as its fragment. */
function withParams(base: string, params: Params, separator: '?' | '#'): string {
  const url = new URL(base);
  const encoded = new URLSearchParams();
  if (separator === '?') for (const [k, v] of url.searchParams) encoded.append(k, v);
  for (const [k, v] of Object.entries(defined(params))) encoded.set(k, v);
  if (separator === '?') url.search = encoded.toString();
  else url.hash = encoded.toString();
  return url.toString();
}

export const responseModes: Record<
  ResponseMode,
  (redirectUri: string, params: Params, webOrigins: readonly string[]) => AuthorizationResponse
> = {
  query: (redirectUri, params) => ({ mode: 'query', location: withParams(redirectUri, params, '?') }),
  fragment: (redirectUri, params) => ({ mode: 'fragment', location: withParams(redirectUri, params, '#') }),
  form_post: (redirectUri, params) => ({ mode: 'form_post', action: redirectUri, fields: defined(params) }),
  web_message: (redirectUri, params, webOrigins) => ({
    mode: 'web_message',
    action: redirectUri,
    fields: defined(params),
    webOrigins,
  }),
};
