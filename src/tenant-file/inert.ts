// Auth0 fields stored without effect (schemas.ts lists them): kept apart from the fields Gatehouse acts on.

/**
 * Splits declared fields into those Gatehouse acts on and the stored-only ones, the latter merged over what
 * is stored already (a declared field replaces the stored one). `inert` is undefined when none is declared.
 */
export function splitInert<T extends object>(
  declared: T,
  names: object,
  stored: Record<string, unknown> | undefined,
): { fields: Partial<T>; inert: Record<string, unknown> | undefined } {
  const fields: Record<string, unknown> = {};
  const inert: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(declared)) {
    if (value === undefined) continue;
    if (Object.hasOwn(names, key)) inert[key] = value;
    else fields[key] = value;
  }
  return {
    fields: fields as Partial<T>,
    inert: Object.keys(inert).length ? { ...stored, ...inert } : undefined,
  };
}
