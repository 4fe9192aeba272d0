// gatehouse keys list | rotate | revoke KID: the signing keys of the database the configuration names.
import type { Command } from 'commander';
import { type Config, ConfigError } from '../config.js';
import { certificateHost, revokeSigningKey, rotateSigningKeys } from '../protocol/keys/rotation.js';
import { type Opened, withConfig, withStore } from './options.js';

type Store = Opened['store'];

async function list(store: Store) {
  for (const key of await store.signingKeys.list()) {
    console.log(
      `${key.kid}  ${key.alg.padEnd(6)} ${key.status.padEnd(9)} created ${new Date(key.created_at).toISOString()}`,
    );
  }
}

async function revoke(store: Store, kid: string) {
  // A refusal is the operator's to fix, so it is one line, not a stack (revokeSigningKey checks again).
  const existing = (await store.signingKeys.list()).find((k) => k.kid === kid);
  if (existing?.status === 'current' || existing?.status === 'next') {
    throw new ConfigError(
      `${kid} is the ${existing.status} ${existing.alg} key and cannot be revoked; only a previous key can (gatehouse keys rotate makes the current key previous)`,
    );
  }
  const key = await revokeSigningKey(store, kid, Date.now);
  if (!key) throw new ConfigError(`No signing key ${kid}`);
  console.log(`Revoked ${kid}`);
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('list, rotate and revoke the signing keys (docs/signing-keys.md)');
  withConfig(
    keys.command('list', { isDefault: true }).description('every key: kid, algorithm, status, creation time'),
  ).action(async (config: Config) => withStore(config, ({ store }) => list(store)));
  withConfig(
    keys.command('rotate').description('make the next keys current and publish new next keys (no downtime)'),
  ).action(async (config: Config) =>
    withStore(config, async ({ store, box }) => {
      const kids = await rotateSigningKeys(store, box, Date.now, certificateHost(config.issuer));
      console.log(`Rotated. Now signing with: ${kids.join(', ')}`);
    }),
  );
  withConfig(
    keys.command('revoke').argument('<kid>', 'a previous key').description('remove a previous key from the JWKS'),
  ).action(async (config: Config, [kid]: string[]) => withStore(config, ({ store }) => revoke(store, kid)));
}
