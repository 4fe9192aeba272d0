// What the sign-in benchmark asks of Gatehouse: a confidential regular web app (client_secret_basic,
// authorization_code only) and a database connection with N users, each with their own password, all
// declared in the tenant file (which hashes every password with argon2id when it creates the user).
import { randomBytes } from 'node:crypto';

export interface SigninUser {
  /** Without the `auth0|` prefix, as the tenant file takes it. */
  id: string;
  email: string;
  password: string;
}

export interface SigninWorkload {
  clientId: string;
  clientSecret: string;
  /** `Basic …` for the client (RFC 6749 §2.3.1: form-encoded, then base64). */
  authorization: string;
  /** Never fetched: the virtual users read the code from the redirect. */
  callback: string;
  connection: string;
  scope: string;
  users: SigninUser[];
}

export function createSigninWorkload(userCount: number): SigninWorkload {
  const clientId = 'bench-web';
  const clientSecret = randomBytes(32).toString('base64url');
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return {
    clientId,
    clientSecret,
    authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`,
    callback: 'https://app.bench.test/callback',
    connection: 'bench-users',
    scope: 'openid profile email',
    users: Array.from({ length: userCount }, (_, i) => ({
      id: `bench-user-${String(i).padStart(4, '0')}`,
      email: `user${i}@bench.test`,
      password: `Bench-${randomBytes(12).toString('base64url')}-${i}`,
    })),
  };
}

export function signinTenantFile(workload: SigninWorkload) {
  return {
    tenant: { friendly_name: 'Benchmark', default_directory: workload.connection },
    clients: [
      {
        client_id: workload.clientId,
        client_secret: workload.clientSecret,
        name: 'Benchmark Web App',
        app_type: 'regular_web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        callbacks: [workload.callback],
      },
    ],
    connections: [{ name: workload.connection, strategy: 'auth0', enabled_clients: [workload.clientId] }],
    users: workload.users.map((user) => ({
      connection: workload.connection,
      email: user.email,
      user_id: user.id,
      password: user.password,
      email_verified: true,
    })),
  };
}
