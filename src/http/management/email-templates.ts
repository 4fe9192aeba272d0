// /api/v2/email-templates (Auth0 Management API v2, "Email Templates"; Auth0 docs "Customize Email Templates"):
// read, create, replace and update the e-mail templates in Auth0's shape. verify_email, reset_email,
// welcome_email and blocked_account are the ones Gatehouse sends (delivery/templates.ts holds their defaults,
// which GET shows until a template is stored); Auth0's other template names are stored without effect. Only
// Liquid is spoken (`syntax: 'liquid'`), and a body or subject Liquid cannot parse is refused with the reason.
import type { FastifyInstance } from 'fastify';
import { createEmailLiquid, defaultTemplate } from '../../delivery/templates.js';
import {
  type EmailTemplateBody,
  isSentTemplate as isSent,
  mergeEmailTemplate,
} from '../../tenant-file/apply-email-template.js';
import { emailTemplateNamesOfAuth0 } from '../../tenant-file/schemas.js';
import type { EmailTemplate, Store } from '../../store/types.js';
import { ManagementError } from './errors.js';
import { answers } from './schemas/common.js';
import { emailTemplate } from './schemas/tenant.js';

const auth0Names = emailTemplateNamesOfAuth0;

const MAX_BODY = 102400;

const fields = {
  template: { type: 'string', enum: auth0Names },
  body: { type: ['string', 'null'], maxLength: MAX_BODY },
  from: { type: ['string', 'null'], maxLength: 512 },
  resultUrl: { type: ['string', 'null'], maxLength: 2048 },
  subject: { type: ['string', 'null'], maxLength: 1024 },
  syntax: { type: ['string', 'null'], enum: ['liquid', null] },
  // Stored in a 32-bit integer column (PostgreSQL refuses more); the tickets' ttl_sec has the same bound.
  urlLifetimeInSeconds: { type: ['integer', 'null'], minimum: 0, maximum: 2147483647 },
  includeEmailInRedirect: { type: 'boolean' },
  enabled: { type: ['boolean', 'null'] },
} as const;

const fullBody = { type: 'object', additionalProperties: false, required: ['template'], properties: fields } as const;
const patchBody = { type: 'object', additionalProperties: false, properties: fields } as const;
const params = {
  type: 'object',
  required: ['templateName'],
  properties: { templateName: { type: 'string', enum: auth0Names } },
} as const;

type Body = EmailTemplateBody;

const invalid = (reason: string) => new ManagementError(400, `Payload validation error: ${reason}.`, 'invalid_body');

export function emailTemplateRoutes(app: FastifyInstance, { store, from }: { store: Store; from: string }) {
  const liquid = createEmailLiquid();

  /** The stored template, or for a template Gatehouse sends, its default. */
  async function current(name: string): Promise<EmailTemplate | undefined> {
    return (await store.emailTemplates.get(name)) ?? (isSent(name) ? defaultTemplate(name, from) : undefined);
  }

  const view = (template: EmailTemplate) => ({ ...template, from: template.from || from, syntax: 'liquid' });

  /** `base` with the body's fields; a null clears a field to its default. Refuses a body Liquid cannot parse. */
  function merged(name: string, base: EmailTemplate | undefined, body: Body): EmailTemplate {
    const result = mergeEmailTemplate(liquid, name, base, body);
    if ('problem' in result) throw invalid(result.problem);
    return result.template;
  }

  app.get<{ Params: { templateName: string } }>(
    '/email-templates/:templateName',
    { config: { scopes: ['read:email_templates'] }, schema: { params, response: answers({ 200: emailTemplate }) } },
    async (request) => {
      const template = await current(request.params.templateName);
      if (!template) throw new ManagementError(404, 'The template does not exist.', 'inexistent_email_template');
      return view(template);
    },
  );

  app.post<{ Body: Body & { template: string } }>(
    '/email-templates',
    {
      config: { scopes: ['create:email_templates'] },
      schema: { body: fullBody, response: answers({ 201: emailTemplate }) },
    },
    async (request, reply) => {
      const name = request.body.template;
      const template = merged(name, undefined, request.body);
      // Auth0 "Create an email template": 409 when the template was created already.
      const created = await store.transaction('tenant', (tx) => tx.emailTemplates.put(template, true));
      if (!created) throw new ManagementError(409, `Template ${name} already exists.`, 'email_template_conflict');
      return reply.code(201).send(view(template));
    },
  );

  app.put<{ Params: { templateName: string }; Body: Body }>(
    '/email-templates/:templateName',
    {
      config: { scopes: ['update:email_templates'] },
      schema: { params, body: fullBody, response: answers({ 200: emailTemplate }) },
    },
    async (request) => {
      // PUT replaces: a field left out takes its default.
      const template = merged(request.params.templateName, undefined, request.body);
      await store.transaction('tenant', (tx) => tx.emailTemplates.put(template));
      return view(template);
    },
  );

  app.patch<{ Params: { templateName: string }; Body: Body }>(
    '/email-templates/:templateName',
    {
      config: { scopes: ['update:email_templates'] },
      schema: { params, body: patchBody, response: answers({ 200: emailTemplate }) },
    },
    async (request) => {
      const name = request.params.templateName;
      const template = await store.transaction('tenant', async (tx) => {
        const base = (await tx.emailTemplates.get(name)) ?? (isSent(name) ? defaultTemplate(name, from) : undefined);
        if (!base) throw new ManagementError(404, 'The template does not exist.', 'inexistent_email_template');
        const next = merged(name, base, request.body);
        await tx.emailTemplates.put(next);
        return next;
      });
      return view(template);
    },
  );
}
