// A log event as Auth0 answers it: the SDK's GetLogResponseContent, open (`details` is any object).
import { boolean, object, open, orNull, string } from './common.js';

export const logEvent = open({
  date: string,
  type: string,
  description: orNull(string),
  connection: string,
  connection_id: string,
  client_id: string,
  client_name: string,
  ip: string,
  hostname: string,
  user_id: string,
  user_name: string,
  audience: string,
  scope: string,
  strategy: string,
  strategy_type: string,
  log_id: string,
  isMobile: boolean,
  details: object,
  user_agent: string,
  security_context: object,
  location_info: object,
});
