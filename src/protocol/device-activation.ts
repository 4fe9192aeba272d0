// The person's side of the device authorization (RFC 8628 §3.3), as /activate drives it (login/device.ts):
//
//   /activate (code page) ──code──> wrong or expired: the page again with Auth0's words; too many: 429
//       │ right: a login transaction holding the user code
//       ├── signed in (SSO session for the client's connection) ──> /u/device/confirm?state=<tx>
//       └── else /u/login?state=<tx> ──signed in──> /authorize/resume ──> /u/device/confirm?state=<tx>
//   /u/device/confirm (application, scopes, user code) ──Confirm──> approved (once) ──> "connected"
//                                                        └─Cancel──> denied (once) ──> "cancelled"
//
// A link (verification_uri_complete) only fills in the code: nothing is approved without the Confirm.
import type { Client, Session, Store, TransactionOwners, User } from '../store/types.js';
import {
  type InteractionDeps,
  type InteractionState,
  sessionUser,
  startTransaction,
  transactionUser,
} from './authorize/interaction.js';
import { consentableScopes, scopesToConsent } from './authorize/consent.js';
import { resolveConnection } from './authorize/connection.js';
import type { AuthorizeRequest } from './authorize/request.js';
import { normaliseUserCode } from './device.js';
import { ipThrottles } from './ip-throttle.js';

/** Where a device sign-in continues once the person is signed in (given the transaction as `state`). */
export const CONFIRM_PAGE = '/u/device/confirm';

export interface ActivationDeps extends InteractionDeps {
  stores: InteractionDeps['stores'] & Pick<Store, 'deviceCodes' | 'ipThrottles'>;
}

export type CodeEntry =
  | { outcome: 'throttled' }
  | { outcome: 'wrong' }
  | { outcome: 'sign-in'; transactionId: string }
  | { outcome: 'confirm'; transactionId: string };

/**
 * A code typed on the code page: one try is taken from the network's and the browser's allowances first (one
 * statement each, so a burst cannot overdraw them), and given back when the code was right.
 */
export async function enterUserCode(
  input: { code: unknown; ip: string; browser: string; session: Session | undefined; owners: TransactionOwners },
  deps: ActivationDeps,
): Promise<CodeEntry> {
  const { ipThrottles: throttles, deviceCodes, clients } = deps.stores;
  const now = deps.now();
  if (!(await throttles.take('activate', input.ip, now, ipThrottles.activate))) return { outcome: 'throttled' };
  if (!(await throttles.take('activate_browser', input.browser, now, ipThrottles.activate_browser)))
    return { outcome: 'throttled' };
  const userCode = normaliseUserCode(input.code);
  const code = userCode && (await deviceCodes.findPending(userCode, now));
  const client = code && (await clients.get(code.client_id));
  if (!code || !client) return { outcome: 'wrong' };
  await throttles.giveBack('activate', input.ip);
  await throttles.giveBack('activate_browser', input.browser);

  const request: AuthorizeRequest = {
    client_id: client.client_id,
    // Not a redirect target: the sign-in continues at CONFIRM_PAGE. The login page allows its form to end here.
    redirect_uri: `${deps.issuer}activate`,
    response_type: 'code',
    response_mode: 'query',
    scope: code.scope.split(' ').filter(Boolean),
    audience: code.audience ?? undefined,
    prompt: [],
    connection: await resolveConnection(undefined, client, deps),
    ext: {},
  };
  const user = await sessionUser(request, input.session, deps);
  const state: InteractionState = {
    request,
    continueAt: CONFIRM_PAGE,
    device: { user_code: code.user_code },
    sessionSid: user ? input.session?.sid : undefined,
  };
  const transactionId = await startTransaction(state, input.owners, deps);
  return { outcome: user ? 'confirm' : 'sign-in', transactionId };
}

export interface PendingActivation {
  transactionId: string;
  request: AuthorizeRequest;
  userCode: string;
  client: Client;
  /** Undefined until the person signed in for this transaction. */
  user: User | undefined;
  scopes: { value: string; description?: string }[];
}

/** The device sign-in a confirmation page shows; undefined when it is over, expired or the code is no longer pending. */
export async function pendingActivation(
  transactionId: string,
  session: Session | undefined,
  deps: ActivationDeps,
): Promise<PendingActivation | undefined> {
  const transaction = await deps.stores.loginTransactions.get(transactionId);
  const device = (transaction?.request as InteractionState | undefined)?.device;
  if (!transaction || !device) return undefined;
  const { state, user } = await transactionUser(transactionId, session, deps);
  const code = await deps.stores.deviceCodes.findPending(device.user_code, deps.now());
  const client = code && (await deps.stores.clients.get(code.client_id));
  if (!code || !client) return undefined;
  return {
    transactionId,
    request: state.request,
    userCode: code.user_code,
    client,
    user,
    scopes: await consentableScopes(state.request, deps),
  };
}

/**
 * Confirm or Cancel, by the person signed in for the transaction: the transaction is spent and the device
 * code approved or denied, each in one statement, so two clicks (or two tabs) settle it once. A Confirm
 * records the consent the code flow would ask for: the confirmation screen lists the same scopes.
 */
export async function decideActivation(
  activation: PendingActivation & { user: User },
  session: Session,
  approve: boolean,
  deps: ActivationDeps,
): Promise<'allowed' | 'denied' | 'expired'> {
  const { stores } = deps;
  if (!(await stores.loginTransactions.consume(activation.transactionId))) return 'expired';
  const now = deps.now();
  if (!approve) return (await stores.deviceCodes.deny(activation.userCode, now)) ? 'denied' : 'expired';
  const toConsent = await scopesToConsent(activation.request, activation.client, activation.user, false, deps);
  // The consent first: a device approved must never hold tokens for scopes the person's consent does not record.
  // If the code expired meanwhile, the consent stays; the person did press Confirm for these scopes.
  if (toConsent.length)
    await stores.consents.grant(
      activation.user.user_id,
      activation.client.client_id,
      activation.request.audience ?? '',
      toConsent.map((s) => s.value),
    );
  const approved = await stores.deviceCodes.approve(activation.userCode, now, {
    user_id: activation.user.user_id,
    sid: session.sid,
    auth_time: session.authenticated_at,
  });
  if (!approved) return 'expired';
  return 'allowed';
}
