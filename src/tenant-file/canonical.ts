/** JSON with object keys sorted, so two equal values always compare equal as text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** The fields of `declared` whose value differs from `current`'s. */
export function changedFields<T extends object>(current: T, declared: Partial<T>): Partial<T> {
  const patch: Partial<T> = {};
  for (const [key, value] of Object.entries(declared) as [keyof T, T[keyof T]][]) {
    if (value !== undefined && canonical(current[key]) !== canonical(value)) patch[key] = value;
  }
  return patch;
}
