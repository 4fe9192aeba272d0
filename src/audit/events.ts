// The audit log's vocabulary: Auth0's log event type codes (Auth0 docs, "Log Event Type Codes",
// /docs/deploy-monitor/logs/log-event-type-codes) for the events Gatehouse records, and the one small
// interface every surface records through. An event never carries a password, code, token, secret or cookie.

/** The codes Gatehouse records, with Auth0's name for each (the row's description when none is given). */
export const eventTypes = {
  s: 'Success Login',
  f: 'Failed Login',
  fp: 'Failed Login (Incorrect Password)',
  fu: 'Failed Login (Invalid Email/Username)',
  ss: 'Success Signup',
  fs: 'Failed Signup',
  scoa: 'Success cross-origin authentication',
  fcoa: 'Failed cross-origin authentication',
  seacft: 'Success Exchange (Authorization Code for Access Token)',
  feacft: 'Failed Exchange (Authorization Code for Access Token)',
  seccft: 'Success Exchange (Client Credentials for Access Token)',
  feccft: 'Failed Exchange (Client Credentials for Access Token)',
  sertft: 'Success Exchange (Refresh Token for Access Token)',
  fertft: 'Failed Exchange (Refresh Token for Access Token)',
  sepft: 'Success Exchange (Password for Access Token)',
  fepft: 'Failed Exchange (Password for Access Token)',
  sepotpft: 'Success Exchange (Passwordless OTP for Access Token)',
  fepotpft: 'Failed Exchange (Passwordless OTP for Access Token)',
  sede: 'Success Exchange (Device Code for Access Token)',
  fede: 'Failed Exchange (Device Code for Access Token)',
  cs: 'Code Sent',
  cls: 'Code/Link Sent',
  slo: 'Success Logout',
  scp: 'Success Change Password',
  fcp: 'Failed Change Password',
  scpr: 'Success Change Password Request',
  fcpr: 'Failed Change Password Request',
  sv: 'Success Verification Email',
  fv: 'Failed Verification Email',
  svr: 'Success Verification Email Request',
  limit_wc: 'Blocked Account',
  limit_mu: 'Blocked IP Address',
  sapi: 'Success API Operation',
  fapi: 'Failed API Operation',
} as const;

export type EventType = keyof typeof eventTypes;

/** What a surface knows of an event; the writer adds log_id and date. */
export interface AuditEvent {
  type: EventType;
  description?: string;
  ip?: string;
  user_agent?: string;
  client_id?: string;
  client_name?: string;
  user_id?: string;
  user_name?: string;
  connection?: string;
  connection_id?: string;
  audience?: string;
  scope?: string;
  strategy?: string;
  /** Plain facts only (an error code, a method and path, a status): never a credential. */
  details?: Record<string, unknown>;
}

/** Records an event: returns at once; the row is written later, in a batch (writer.ts). */
export interface AuditLog {
  record(event: AuditEvent): void;
}

/** For GATEHOUSE_AUDIT_LOG=off: nothing recorded, nothing logged. */
export const noAuditLog: AuditLog = { record() {} };

/** Counts every event by its code (gatehouse_audit_events_total), recorded or not. */
export function countedAuditLog(log: AuditLog, counter: { inc(labels: { type: string }): void }): AuditLog {
  return {
    record(event) {
      counter.inc({ type: event.type });
      log.record(event);
    },
  };
}

/** The outcome of a password attempt (protocol/brute-force.ts) as Auth0 logs it on a sign-in surface. */
export function passwordAttemptType(
  outcome: 'throttled' | 'blocked' | 'wrong' | 'correct',
  unknownUser: boolean,
  onSuccess: EventType,
  onWrong?: EventType,
): EventType {
  if (outcome === 'throttled') return 'limit_mu';
  if (outcome === 'blocked') return 'limit_wc';
  if (outcome === 'correct') return onSuccess;
  return onWrong ?? (unknownUser ? 'fu' : 'fp');
}
