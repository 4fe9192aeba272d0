// `gatehouse tenant apply | diff`: the file applied in one transaction under the tenant lock (the same code the
// start and the Management API write through), optionally with --prune, and the changes found by exporting the
// tenant before and after inside that transaction. A dry run, a diff, or an apply that changes nothing rolls
// back, so nothing is written and no cache is dropped; otherwise the commit bumps the change counter, which makes
// every running instance drop its caches (store/cache.ts).
import type { Passwords } from '../crypto/passwords.js';
import type { Store } from '../store/types.js';
import { type ApplyDeps, applyTenantFile } from './apply.js';
import { ensureManagementApi, hashDeclaredPasswords, hashPasswordsStillMissing } from './bootstrap.js';
import { type Change, diffTenants } from './diff.js';
import { exportTenant } from './export.js';
import type { TenantFile } from './parse.js';
import { type Protected, pruneTenant } from './prune.js';

export interface ReconcileOptions extends Omit<ApplyDeps, 'passwordHashes'>, Protected {
  passwords: Pick<Passwords, 'hash'>;
  dryRun: boolean;
  prune: boolean;
}

/** Thrown to roll the transaction back, carrying what it found. */
class RolledBack extends Error {
  constructor(readonly changes: Change[]) {
    super('rolled back');
  }
}

/** Applies (or with dryRun only compares) the file; returns the changes, made or that would be made. */
export async function reconcileTenant(store: Store, file: TenantFile, options: ReconcileOptions): Promise<Change[]> {
  // Built in, as after any start (not part of a tenant file): grants a file gives on it need it.
  await ensureManagementApi(store, options.managementAudience);
  const passwordHashes = await hashDeclaredPasswords(store, file, options.passwords);
  const snapshot = {
    box: options.box,
    secrets: true,
    users: file.users !== undefined,
    operatorClientId: options.operatorClientId,
  };
  try {
    return await store.transaction('tenant', async (tx) => {
      const before = await exportTenant(tx, snapshot);
      await hashPasswordsStillMissing(tx, file, options.passwords, passwordHashes);
      await applyTenantFile(tx, file, { ...options, passwordHashes });
      if (options.prune) await pruneTenant(tx, file, options);
      const changes = diffTenants(before, await exportTenant(tx, snapshot));
      if (options.dryRun || !changes.length) throw new RolledBack(changes);
      // A later `gatehouse start` does not add the development clients to an applied tenant.
      const tenant = await tx.tenant.get();
      if (!tenant.gatehouse_initialized) await tx.tenant.put({ ...tenant, gatehouse_initialized: true });
      return changes;
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.changes;
    throw error;
  }
}
