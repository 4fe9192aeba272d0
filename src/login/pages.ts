// Sending a Universal Login page: the tenant's template (if any), a fresh CSP nonce per response,
// no caching, no framing.
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Client, Store, TenantSettings } from '../store/types.js';
import { formActionSource } from './authorization-response.js';
import type { PageContext, Renderer } from './render.js';

export interface PageDeps {
  store: Pick<Store, 'branding' | 'tenant'>;
  renderer: Renderer;
}

export type PageInput = Omit<PageContext, 'nonce' | 'tenant' | 'application'> & {
  client?: Client;
  /**
   * Where the form's POST may end up. Browsers apply CSP form-action to the redirects that follow a form
   * POST too, so a login form that ends at the client's callback must allow that callback's origin.
   */
  redirectsTo?: string;
};

/** Auth0's branding settings as the page shows them: the branding logo, else the tenant's picture; a gradient background is not drawn. */
function brandingOf(tenant: TenantSettings): PageContext['branding'] {
  const { branding } = tenant;
  const background = branding?.colors?.page_background;
  return {
    logo_url: branding?.logo_url ?? tenant.picture_url,
    colors: {
      primary: branding?.colors?.primary,
      page_background: typeof background === 'string' ? background : undefined,
    },
  };
}

export async function sendPage(
  reply: FastifyReply,
  deps: PageDeps,
  status: number,
  input: PageInput,
): Promise<FastifyReply> {
  const nonce = randomBytes(16).toString('base64');
  const { client, redirectsTo, ...context } = input;
  const formAction = ["'self'", ...(redirectsTo ? [formActionSource(redirectsTo)] : [])].join(' ');
  const tenant = await deps.store.tenant.get();
  const html = await deps.renderer.render(
    {
      ...context,
      nonce,
      tenant: {
        friendly_name: tenant.friendly_name,
        support_email: tenant.support_email,
        support_url: tenant.support_url,
      },
      application: client ? { id: client.client_id, name: client.name, logo_url: client.logo_uri } : undefined,
      branding: brandingOf(tenant),
    },
    await deps.store.branding.getTemplate(),
  );
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src https: data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    })
    .send(html);
}

export const EXPIRED_SIGN_IN = 'This sign-in link has expired. Return to the application and sign in again.';

/** A posted form whose CSRF token does not match this browser's cookie. */
export function sendInvalidFormPage(reply: FastifyReply, deps: PageDeps) {
  return sendErrorPage(
    reply,
    deps,
    403,
    'The form could not be verified (it may have expired). Go back and try again.',
    'Invalid form',
  );
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The branded error page; when the tenant's branding cannot be read (the database is unreachable, which may
 * be the very error being answered), a plain page with the same status and words instead of no page at all.
 */
export async function sendErrorPage(
  reply: FastifyReply,
  deps: PageDeps,
  status: number,
  description: string,
  title = 'Something went wrong',
) {
  try {
    return await sendPage(reply, deps, status, { screen: 'error', error: { title, description } });
  } catch {
    return reply
      .code(status)
      .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
          `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(description)}</p></body></html>`,
      );
  }
}
