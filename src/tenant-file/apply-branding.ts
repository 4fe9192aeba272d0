import type { BrandingSettings, Stores } from '../store/types.js';
import { applyTenant } from './apply-tenant.js';
import { type DeclaredBranding, TenantFileError } from './parse.js';

/**
 * The declared branding settings, each replacing the stored one (as PATCH /api/v2/branding, through the same
 * applyTenant), and the Universal Login page template when `templates` declares it (as PUT
 * /api/v2/branding/templates/universal-login, after the same check).
 */
export async function applyBranding(
  tx: Stores,
  declared: DeclaredBranding,
  checkPageTemplate: (template: string) => string | undefined,
): Promise<void> {
  const { templates, ...settings } = declared;
  if (Object.keys(settings).length) {
    const current = (await tx.tenant.get()).branding ?? {};
    await applyTenant(tx, { branding: { ...current, ...settings } as BrandingSettings });
  }
  const page = templates?.[0];
  if (page) {
    const problem = checkPageTemplate(page.body);
    if (problem) throw new TenantFileError(`branding.templates[0] (universal_login): ${problem}`);
    if ((await tx.branding.getTemplate()) !== page.body) await tx.branding.putTemplate(page.body);
  }
}
