// Starts the server: build the app, listen, print the banner, drain on SIGTERM/SIGINT.
import pino from 'pino';
import { buildApp, type Gatehouse } from './app.js';
import { type Config, endpoints } from './config.js';
import { serializers } from './http/log.js';
import type { DevelopmentTenant } from './management/bootstrap.js';

export function createLogger(config: Pick<Config, 'logLevel'>) {
  return pino({ level: config.logLevel, serializers });
}

/** Plain text, printed once: the only place a generated secret is ever shown (SPEC.md §1). */
export function banner(config: Config, dev: DevelopmentTenant | undefined): string {
  const urls = endpoints(config.issuer);
  const lines = [
    '',
    `Gatehouse is listening on ${config.host}:${config.port}`,
    `  issuer:     ${config.issuer}`,
    `  discovery:  ${urls.discovery}`,
  ];
  if (dev) {
    lines.push(
      '',
      'This database was empty, so a development API and machine-to-machine client were created.',
      'The secret is shown only this once:',
      `  client_id:     ${dev.client_id}`,
      `  client_secret: ${dev.client_secret}`,
      `  audience:      ${dev.audience}`,
      '',
      'Get an access token:',
      `  curl -s -u '${dev.client_id}:${dev.client_secret}' -d grant_type=client_credentials -d audience=${dev.audience} ${urls.token}`,
    );
  }
  return lines.join('\n') + '\n\n';
}

export async function startServer(config: Config): Promise<Gatehouse> {
  const logger = createLogger(config);
  const gatehouse = await buildApp(config, { logger });
  if (gatehouse.generatedSecretPath) {
    logger.warn(
      { path: gatehouse.generatedSecretPath },
      'GATEHOUSE_SECRET is not set: generated a master secret beside the database. Keep it with the database; without it the stored keys cannot be read.',
    );
  }
  await gatehouse.app.listen({ port: config.port, host: config.host });
  process.stdout.write(banner(config, gatehouse.developmentTenant));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining in-flight requests');
    gatehouse.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return gatehouse;
}
