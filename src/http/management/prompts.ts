// /api/v2/prompts (Auth0 Management API v2, "Prompts"): Gatehouse's login prompt in Auth0's terms. Its page asks
// for the e-mail and the password together (not identifier first), on the new Universal Login, and it offers no
// WebAuthn sign-in; these are fixed, so a PATCH may only restate them (fixed-settings.ts). Gatehouse keeps no
// custom text per prompt (its pages' words come from the page template), so each prompt's custom text is empty,
// and it has no partials (Auth0 answers 403 where the tenant lacks them).
import type { FastifyInstance } from 'fastify';
import { ManagementError } from './errors.js';
import { fixedSettingsRoutes } from './fixed-settings.js';
import { answers, closed } from './schemas/common.js';

const name = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' } as const;

export function promptRoutes(app: FastifyInstance) {
  fixedSettingsRoutes(app, {
    path: '/prompts',
    readScope: 'read:prompts',
    updateScope: 'update:prompts',
    what: 'login prompt',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        universal_login_experience: { type: 'string', enum: ['new', 'classic'] },
        identifier_first: { type: ['boolean', 'null'] },
        webauthn_platform_first_factor: { type: ['boolean', 'null'] },
      },
    },
    value: { universal_login_experience: 'new', identifier_first: false, webauthn_platform_first_factor: false },
  });
  app.get(
    '/prompts/:prompt/custom-text/:language',
    {
      config: { scopes: ['read:prompts'] },
      schema: {
        params: { type: 'object', properties: { prompt: name, language: name } },
        response: answers({ 200: closed({}) }),
      },
    },
    async () => ({}),
  );
  const noPartials = async () => {
    throw new ManagementError(403, 'This feature is not enabled for this tenant.', 'feature_not_enabled');
  };
  const partials = { params: { type: 'object', properties: { prompt: name } }, response: answers({}) };
  app.get('/prompts/:prompt/partials', { config: { scopes: ['read:prompts'] }, schema: partials }, noPartials);
  app.put('/prompts/:prompt/partials', { config: { scopes: ['update:prompts'] }, schema: partials }, noPartials);
}
