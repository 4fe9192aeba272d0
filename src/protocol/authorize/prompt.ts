// prompt and max_age (OIDC Core §3.1.2.1): whether and how recently the person must have signed in.
import { OAuthError } from '../errors.js';

export type Prompt = 'none' | 'login' | 'consent';

const prompts: readonly string[] = ['none', 'login', 'consent'];

/** The prompt values, each one we know; none must stand alone. */
export function parsePrompt(value: string | undefined): Prompt[] {
  const prompt = (value ?? '').split(' ').filter(Boolean);
  const unknownPrompt = prompt.find((p) => !prompts.includes(p));
  if (unknownPrompt) throw new OAuthError('invalid_request', `Unsupported prompt value: ${unknownPrompt}`);
  // OIDC Core §3.1.2.1: none must stand alone.
  if (prompt.includes('none') && prompt.length > 1)
    throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values');
  return prompt as Prompt[];
}

/** max_age in seconds, when sent. */
export function parseMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value)) throw new OAuthError('invalid_request', 'max_age must be a non-negative integer');
  return Number(value);
}
