/** A space-delimited scope parameter as a list without duplicates (RFC 6749 §3.3). */
export function parseScope(scope: string | undefined): string[] {
  return scope ? [...new Set(scope.split(' ').filter(Boolean))] : [];
}
