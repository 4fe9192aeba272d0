// Each signing key's self-signed X.509 certificate (base64 DER), made once when the key is created so that
// every read, worker and instance answers the same bytes. Keys from before this migration have none until
// keys/rotation.ts's ensureCertificates makes one under the signing_keys lock.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('certificate', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('certificate').execute();
}
