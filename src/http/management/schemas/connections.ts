// A connection as Auth0 answers it (the SDK's GetConnectionResponseContent: closed, its options open), and the
// enabled clients of one (GetConnectionEnabledClientsResponseContent).
import { boolean, closed, object, open, string, strings } from './common.js';

export const connection = closed({
  name: string,
  display_name: string,
  options: object,
  id: string,
  strategy: string,
  realms: strings,
  enabled_clients: strings,
  is_domain_connection: boolean,
  show_as_button: boolean,
  metadata: object,
  authentication: object,
  connected_accounts: object,
  cross_app_access_requesting_app: object,
  cross_app_access_resource_app: object,
});

export const enabledClients = open(
  { clients: { type: 'array', items: open({ client_id: string }, ['client_id']) }, next: string },
  ['clients'],
);
