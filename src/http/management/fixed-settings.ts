// Settings Gatehouse has but does not let the API change (its attack protection, its login prompt): a PATCH that
// names them with the values they already have succeeds and changes nothing, so a tool that writes back what it
// read (Auth0's deploy CLI) works; any other value is refused with the one value Gatehouse has.
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ManagementError } from './errors.js';
import { answers } from './schemas/common.js';

export interface FixedSettings {
  path: string;
  readScope: string;
  updateScope: string;
  /** Auth0's body schema for the PATCH (every property optional, none other allowed). */
  body: { type: 'object'; additionalProperties: false; properties: Record<string, object> };
  /** What Gatehouse does, in Auth0's shape. */
  value: Record<string, unknown>;
  /** Names the settings in a refusal ("brute-force protection"). */
  what: string;
}

export function fixedSettingsRoutes(app: FastifyInstance, settings: FixedSettings) {
  const { path, readScope, updateScope, body, value, what } = settings;
  const answer = answers({ 200: { type: 'object', properties: body.properties } });
  app.get(path, { config: { scopes: [readScope] }, schema: { response: answer } }, async () => value);
  app.patch<{ Body: Record<string, unknown> }>(
    path,
    { config: { scopes: [updateScope] }, schema: { body, response: answer } },
    async (request) => {
      for (const [field, given] of Object.entries(request.body ?? {})) {
        if (!isDeepStrictEqual(given, value[field])) {
          throw new ManagementError(
            400,
            `Payload validation error: 'Gatehouse's ${what} cannot be changed: ${field} is ${JSON.stringify(value[field])}' on property ${field}.`,
            'invalid_body',
          );
        }
      }
      return value;
    },
  );
}
