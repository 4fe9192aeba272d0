// oidc-provider (npm) set up for the benchmark's work, run with node:cluster:
//   node dist/bench/oidc-provider-server.js CONFIG.json
// client_credentials with client_secret_basic; with `resource` sent, a JWT access token for that API
// (without it oidc-provider would issue an opaque token), signed RS256 or ES256 as the API says.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

export interface OidcProviderBenchConfig {
  port: number;
  issuer: string;
  workers: number;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** API identifier → JWS algorithm of its access tokens. */
  resources: Record<string, 'RS256' | 'ES256'>;
  /** Private JWKs: one RSA and one P-256 key. */
  jwks: { keys: object[] };
  cookieKey: string;
}

function serve(config: OidcProviderBenchConfig) {
  const provider = new Provider(config.issuer, {
    clients: [
      {
        client_id: config.clientId,
        client_secret: config.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: config.jwks as never,
    cookies: { keys: [config.cookieKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const alg = config.resources[resource];
          if (!alg) throw new errors.InvalidTarget();
          return { scope: config.scope, accessTokenFormat: 'jwt', jwt: { sign: { alg } } };
        },
      },
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
  createServer(provider.callback()).listen(config.port, '127.0.0.1');
}

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as OidcProviderBenchConfig;
if (cluster.isPrimary) {
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) =>
    console.error(`oidc-provider worker ${worker.process.pid} exited (${signal ?? code})`),
  );
} else {
  serve(config);
}
