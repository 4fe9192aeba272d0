// RFC 7396 (JSON Merge Patch) §2: an object in the patch changes the target's members one by one (null removes
// one, an object merges into the member, anything else replaces it). Auth0's PATCH /branding and PATCH
// /tenants/settings change nested settings (colors, flags) this way.
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
