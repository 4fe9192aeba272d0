// What buildApp (app.ts) makes once and hands the surfaces. Each surface is a Fastify plugin with its own
// error handler (fastify docs/Reference/Encapsulation.md) and takes only the parts it uses.
import type { AuditLog } from '../audit/events.js';
import type { Config } from '../config.js';
import type { Passwords } from '../crypto/passwords.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Messages } from '../delivery/messages.js';
import type { Renderer } from '../login/render.js';
import type { Metrics } from '../metrics/registry.js';
import type { Keyring } from '../protocol/keys/keyring.js';
import type { Store } from '../store/types.js';
import type { MetricsText } from './metrics.js';
import type { StorageHealth } from './storage-health.js';

export interface SurfaceDeps {
  config: Config;
  /** The one store (with its caches) every surface reads and writes through. */
  store: Store;
  keyring: Keyring;
  box: SecretBox;
  /** Signs the login forms' CSRF tokens; derived from the master secret. */
  csrfKey: Buffer;
  /** The HMAC key passwordless codes are stored under; derived from the master secret. */
  passwordlessKey: Buffer;
  /** argon2id with this worker's share of the cores (crypto/passwords.ts). */
  passwords: Passwords;
  renderer: Renderer;
  /** Whether writes fail (a full disk, a read-only database): every surface answers 503 then. */
  storage: StorageHealth;
  /** Records sign-ins, token exchanges, API changes… as Auth0's log events (audit/writer.ts). */
  audit: AuditLog;
  /** E-mails and text messages, delivered after the answer (delivery/messages.ts). */
  messages: Messages;
  /** Counters the surfaces add to (metrics/registry.ts), and what /metrics answers. */
  metrics: Metrics;
  metricsText: MetricsText;
  now: () => number;
}
