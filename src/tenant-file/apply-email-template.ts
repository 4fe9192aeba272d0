import { type EmailTemplateName, emailTemplateNames } from '../delivery/messages.js';
import { createEmailLiquid, defaultTemplate, type EmailLiquid } from '../delivery/templates.js';
import type { EmailTemplate, Stores } from '../store/types.js';
import { canonical } from './canonical.js';
import { TenantFileError } from './parse.js';

/** An e-mail template's fields as Auth0's Management API takes them; a null clears a field to its default. */
export type EmailTemplateBody = { [K in keyof EmailTemplate]?: EmailTemplate[K] | null } & { syntax?: string | null };

export const isSentTemplate = (name: string): name is EmailTemplateName =>
  (emailTemplateNames as readonly string[]).includes(name);

/**
 * `base` with the body's fields (Auth0 "Update an email template"; with no base, "Set an email template": a field
 * left out takes its default), or why the body is refused: a subject or body Liquid cannot parse. What
 * /api/v2/email-templates and the tenant file's `email_templates` both write.
 */
export function mergeEmailTemplate(
  liquid: EmailLiquid,
  name: string,
  base: EmailTemplate | undefined,
  body: EmailTemplateBody,
): { template: EmailTemplate } | { problem: string } {
  if (body.template !== undefined && body.template !== name)
    return { problem: `template must be ${name}, the template of the path` };
  // Only the default's body and subject are used here; its sender is the configured one, never stored.
  const fallback = isSentTemplate(name) ? defaultTemplate(name, '') : undefined;
  const pick = <K extends keyof EmailTemplate>(key: K, otherwise: EmailTemplate[K]): EmailTemplate[K] =>
    body[key] === undefined ? (base?.[key] ?? otherwise) : ((body[key] ?? otherwise) as EmailTemplate[K]);
  const template: EmailTemplate = {
    template: name,
    body: pick('body', fallback?.body ?? ''),
    from: body.from === undefined ? (base?.from ?? null) : body.from,
    subject: pick('subject', fallback?.subject ?? ''),
    resultUrl: body.resultUrl === undefined ? (base?.resultUrl ?? null) : body.resultUrl,
    urlLifetimeInSeconds:
      body.urlLifetimeInSeconds === undefined ? (base?.urlLifetimeInSeconds ?? null) : body.urlLifetimeInSeconds,
    includeEmailInRedirect: pick('includeEmailInRedirect', true),
    enabled: pick('enabled', true),
  };
  for (const [field, source] of [
    ['body', template.body],
    ['subject', template.subject],
  ] as const) {
    const problem = liquid.check(source);
    if (problem) return { problem: `${field} is not a valid Liquid template: ${problem}` };
  }
  return { template };
}

/** One declared e-mail template, stored whole (fields left out take their defaults) when it differs. */
export async function applyEmailTemplate(
  tx: Stores,
  declared: EmailTemplateBody & { template: string },
  where: string,
  liquid: EmailLiquid = createEmailLiquid(),
): Promise<void> {
  const merged = mergeEmailTemplate(liquid, declared.template, undefined, declared);
  if ('problem' in merged) throw new TenantFileError(`${where}: ${merged.problem}`);
  const stored = await tx.emailTemplates.get(declared.template);
  if (!stored || canonical(stored) !== canonical(merged.template)) await tx.emailTemplates.put(merged.template);
}
