// ext-* parameters: passed through to the login page template (transaction.params). At most 10, names
// ^ext-[\w-]{1,28}$, values ^[-\w.*~@+ /:]{1,255}$ (Auth0 docs: "Customize Universal Login Page Templates",
// /docs/customize/login-pages/universal-login/customize-templates).
import { OAuthError } from '../errors.js';

export function parseExtParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const ext = Object.entries(params).filter(([name]) => name.startsWith('ext-'));
  if (ext.length > 10)
    throw new OAuthError('invalid_request', 'error parsing ext params: more than 10 ext-* parameters');
  for (const [name, value] of ext) {
    if (!/^ext-[\w-]{1,28}$/.test(name))
      throw new OAuthError('invalid_request', `error parsing ext params: invalid name ${name}`);
    if (!/^[-\w.*~@+ /:]{1,255}$/.test(value))
      throw new OAuthError('invalid_request', `error parsing ext params: invalid value for ${name}`);
  }
  return Object.fromEntries(ext);
}
