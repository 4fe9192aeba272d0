// /api/v2/attack-protection (Auth0 Management API v2, "Attack Protection"): what Gatehouse's attack protection does,
// in Auth0's shapes. Brute-force protection and suspicious IP throttling are always on with Auth0's default limits
// (protocol/brute-force.ts, protocol/ip-throttle.ts); Gatehouse does not check passwords against breach lists, has no
// bot detection, no CAPTCHA and no risk assessment. The limits are fixed: a PATCH may only restate them (fixed-settings.ts).
import type { FastifyInstance } from 'fastify';
import { bruteForce } from '../../protocol/brute-force.js';
import { ipThrottles } from '../../protocol/ip-throttle.js';
import { ManagementError } from './errors.js';
import { fixedSettingsRoutes } from './fixed-settings.js';
import { answers } from './schemas/common.js';

const strings = { type: 'array', items: { type: 'string' } } as const;
const body = (properties: Record<string, object>) =>
  ({ type: 'object', additionalProperties: false, properties }) as const;
const stage = { type: 'object', properties: { max_attempts: { type: 'integer' }, rate: { type: 'integer' } } } as const;

export function attackProtectionRoutes(app: FastifyInstance) {
  const scopes = { readScope: 'read:attack_protection', updateScope: 'update:attack_protection' };
  // Auth0 "Brute-force protection": counted per identifier and IP; Gatehouse blocks and sends no notification.
  fixedSettingsRoutes(app, {
    ...scopes,
    path: '/attack-protection/brute-force-protection',
    what: 'brute-force protection',
    body: body({
      enabled: { type: 'boolean' },
      shields: strings,
      allowlist: strings,
      mode: { type: 'string' },
      max_attempts: { type: 'integer' },
    }),
    value: {
      enabled: true,
      shields: ['block'],
      allowlist: [],
      mode: 'count_per_identifier_and_ip',
      max_attempts: bruteForce.max,
    },
  });
  // Auth0 "Suspicious IP throttling": `rate` is the milliseconds after which one attempt comes back.
  fixedSettingsRoutes(app, {
    ...scopes,
    path: '/attack-protection/suspicious-ip-throttling',
    what: 'suspicious IP throttling',
    body: body({
      enabled: { type: 'boolean' },
      shields: strings,
      allowlist: strings,
      stage: {
        type: 'object',
        additionalProperties: false,
        properties: { 'pre-login': stage, 'pre-user-registration': stage },
      },
    }),
    value: {
      enabled: true,
      shields: ['block'],
      allowlist: [],
      stage: {
        'pre-login': { max_attempts: ipThrottles.login.max, rate: ipThrottles.login.leakMs },
        'pre-user-registration': { max_attempts: ipThrottles.signup.max, rate: ipThrottles.signup.leakMs },
      },
    },
  });
  fixedSettingsRoutes(app, {
    ...scopes,
    path: '/attack-protection/breached-password-detection',
    what: 'breached password detection',
    body: body({
      enabled: { type: 'boolean' },
      shields: strings,
      admin_notification_frequency: strings,
      method: { type: 'string' },
      stage: { type: 'object' },
    }),
    value: {
      enabled: false,
      shields: [],
      admin_notification_frequency: [],
      method: 'standard',
      stage: { 'pre-user-registration': { shields: [] }, 'pre-change-password': { shields: [] } },
    },
  });
  // Auth0 "Risk assessment" (Auth0 docs "Adaptive MFA"): Gatehouse assesses no sign-in risk and remembers no device.
  fixedSettingsRoutes(app, {
    ...scopes,
    path: '/risk-assessments/settings',
    what: 'risk assessment',
    body: body({ enabled: { type: 'boolean' } }),
    value: { enabled: false },
  });
  fixedSettingsRoutes(app, {
    ...scopes,
    path: '/risk-assessments/settings/new-device',
    what: 'risk assessment',
    body: body({ remember_for: { type: 'integer' } }),
    value: { remember_for: 0 },
  });
  // Auth0 answers 403 where the tenant's plan lacks bot detection or CAPTCHA; Gatehouse has neither.
  for (const feature of ['bot-detection', 'captcha']) {
    app.get(
      `/attack-protection/${feature}`,
      { config: { scopes: ['read:attack_protection'] }, schema: { response: answers({}) } },
      async () => {
        throw new ManagementError(403, 'This feature is not enabled for this tenant.', 'feature_not_enabled');
      },
    );
  }
}
