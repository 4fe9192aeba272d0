// /api/v2/branding (Auth0 Management API v2, "Branding"): the branding settings, kept with the tenant settings and
// written through applyTenant, and the Universal Login page template (Auth0 docs "Customize Universal Login Page
// Templates"). The login pages use colors.primary, colors.page_background (a colour; a gradient is stored only)
// and logo_url; favicon_url and font.url are stored without effect. Every write holds the `tenant` lock, so every
// worker drops its cached settings and template before the answer: the next login page shows the change.
import type { FastifyInstance } from 'fastify';
import { validatePageTemplate } from '../../login/template-checks.js';
import type { BrandingSettings, Store } from '../../store/types.js';
import { applyTenant } from '../../tenant-file/apply-tenant.js';
import { ManagementError, notFound } from './errors.js';
import { mergePatch } from './merge-patch.js';
import { answers, noBody } from './schemas/common.js';
import { branding, loginTemplate } from './schemas/tenant.js';

const HEX = '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$';
// Auth0: "URL for the logo. Must use HTTPS."
const httpsUrl = { type: ['string', 'null'], pattern: '^https://[^\\s]+$', maxLength: 2048 } as const;
/** Auth0's limit on a page template ("Maximum string length: 102400"). */
const MAX_TEMPLATE = 102400;

const brandingBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    colors: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        primary: { type: ['string', 'null'], pattern: HEX },
        // A colour, or a gradient object (stored, not drawn).
        page_background: {
          type: ['string', 'object', 'null'],
          pattern: HEX,
          additionalProperties: false,
          properties: {
            type: { const: 'linear-gradient' },
            start: { type: 'string', pattern: HEX },
            end: { type: 'string', pattern: HEX },
            angle_deg: { type: 'integer' },
          },
        },
      },
    },
    favicon_url: httpsUrl,
    logo_url: httpsUrl,
    font: { type: ['object', 'null'], additionalProperties: false, properties: { url: httpsUrl } },
  },
} as const;

// Auth0 takes the template as {"template": "..."} or as a bare JSON string (or as text/html, below).
const templateBody = {
  type: ['object', 'string'],
  maxLength: MAX_TEMPLATE,
  additionalProperties: false,
  required: ['template'],
  properties: { template: { type: 'string', maxLength: MAX_TEMPLATE } },
} as const;

const PATH = '/branding/templates/universal-login';

export function brandingRoutes(app: FastifyInstance, { store }: { store: Store }) {
  app.get(
    '/branding',
    { config: { scopes: ['read:branding'] }, schema: { response: answers({ 200: branding }) } },
    async () => (await store.tenant.get()).branding ?? {},
  );

  app.patch<{ Body: BrandingSettings }>(
    '/branding',
    { config: { scopes: ['update:branding'] }, schema: { body: brandingBody, response: answers({ 200: branding }) } },
    async (request) => {
      const settings = await store.transaction('tenant', async (tx) => {
        const current = (await tx.tenant.get()).branding ?? {};
        const branding = mergePatch(current, request.body) as BrandingSettings;
        return applyTenant(tx, { branding: Object.keys(branding).length ? branding : null });
      });
      return settings.branding ?? {};
    },
  );

  const template = { config: { scopes: ['read:branding'] }, schema: { response: answers({ 200: loginTemplate }) } };
  app.get(PATH, template, async () => {
    const body = await store.branding.getTemplate();
    if (body == null) throw notFound('template', 'inexistent_template');
    return { body };
  });

  const deleteTemplate = { config: { scopes: ['delete:branding'] }, schema: { response: answers({ 204: noBody }) } };
  app.delete(PATH, deleteTemplate, async (_request, reply) => {
    await store.transaction('tenant', (tx) => tx.branding.deleteTemplate());
    return reply.code(204).send();
  });

  // Its own context, so that text/html bodies are read for this route only.
  app.register(async (templates) => {
    templates.addContentTypeParser('text/html', { parseAs: 'string', bodyLimit: MAX_TEMPLATE * 4 }, (_r, body, done) =>
      done(null, body),
    );
    templates.put<{ Body: string | { template: string } }>(
      PATH,
      {
        config: { scopes: ['update:branding'] },
        schema: { body: templateBody, response: answers({ 201: noBody, 204: noBody }) },
      },
      async (request, reply) => {
        const template = typeof request.body === 'string' ? request.body : request.body.template;
        // Auth0: a template must hold {%- auth0:head -%} and {%- auth0:widget -%}, and Liquid must parse it.
        const problem = validatePageTemplate(template);
        if (problem) throw new ManagementError(400, `Payload validation error: ${problem}.`, 'invalid_body');
        // Auth0 "Set template for New Universal Login": 201 when it creates the template, 204 when it replaces
        // one. The `tenant` lock keeps the check and the write together.
        const replaced = await store.transaction('tenant', async (tx) => {
          const existing = await tx.branding.getTemplate();
          await tx.branding.putTemplate(template);
          return existing !== undefined;
        });
        return reply.code(replaced ? 204 : 201).send();
      },
    );
  });
}
