// Auth0's database connection password policies (connection options.password_policy), checked at sign-up.
// none: any; low: 6+; fair: 8+ with lower, upper and digit; good: 8+ with 3 of lower/upper/digit/special;
// excellent: 10+, 3 of 4, and no character more than twice in a row. min_length raises the length.
export type PasswordPolicy = 'none' | 'low' | 'fair' | 'good' | 'excellent';

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = 'good';

const lengths: Record<PasswordPolicy, number> = { none: 1, low: 6, fair: 8, good: 8, excellent: 10 };

export interface PolicyOptions {
  password_policy?: unknown;
  password_complexity_options?: { min_length?: unknown };
}

export function policyOf(options: PolicyOptions): { policy: PasswordPolicy; minLength: number } {
  const policy = (Object.keys(lengths) as PasswordPolicy[]).includes(options.password_policy as PasswordPolicy)
    ? (options.password_policy as PasswordPolicy)
    : DEFAULT_PASSWORD_POLICY;
  const configured = Number(options.password_complexity_options?.min_length);
  const minLength = Number.isInteger(configured) && configured > lengths[policy] ? configured : lengths[policy];
  return { policy, minLength };
}

/** The rules a password must meet, in words (shown to people and returned by /dbconnections/signup). */
export function describePolicy(options: PolicyOptions): string {
  const { policy, minLength } = policyOf(options);
  const rules = [`at least ${minLength} characters`];
  if (policy === 'fair') rules.push('lower case letters (a-z), upper case letters (A-Z) and numbers (0-9)');
  if (policy === 'good' || policy === 'excellent') {
    rules.push(
      'at least 3 of: lower case letters (a-z), upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*)',
    );
  }
  if (policy === 'excellent') rules.push('no more than 2 identical characters in a row');
  return `The password must have ${rules.join('; ')}.`;
}

export function meetsPolicy(password: string, options: PolicyOptions): boolean {
  const { policy, minLength } = policyOf(options);
  if ([...password].length < minLength) return false;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  if (policy === 'fair' && !(/[a-z]/.test(password) && /[A-Z]/.test(password) && /[0-9]/.test(password))) return false;
  if ((policy === 'good' || policy === 'excellent') && kinds < 3) return false;
  if (policy === 'excellent' && /(.)\1\1/.test(password)) return false;
  return true;
}
