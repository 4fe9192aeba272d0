// Column conversions shared by the stores: JSON text, 0/1 booleans.
export const bool = (value: number): boolean => value === 1;
export const int = (value: boolean): number => (value ? 1 : 0);
export const parse = <T>(value: string): T => JSON.parse(value) as T;
export const text = (value: unknown): string => JSON.stringify(value);

/** Maps a domain patch to column values with the given per-field converters (others pass through). */
export function toColumns<P extends object>(
  patch: P,
  convert: Partial<Record<keyof P, (value: never) => unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const fn = convert[key as keyof P] as ((value: unknown) => unknown) | undefined;
    out[key] = fn ? fn(value) : value;
  }
  return out;
}

/** Adds the stored-only Auth0 fields (a JSON object column) to a domain object, when there are any. */
export function withInert<T extends object>(object: T, column: string): T & { inert?: Record<string, unknown> } {
  const inert = parse<Record<string, unknown>>(column);
  return Object.keys(inert).length ? { ...object, inert } : object;
}
