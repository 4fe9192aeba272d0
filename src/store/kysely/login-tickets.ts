// Login tickets (Auth0 cross-origin authentication), by hash: redeemed once, in one statement that also checks
// the client, the connection, the browser's verifier and the expiry.
import type { LoginTicketStore } from '../types.js';
import type { Executor } from './db.js';

/** How many expired tickets each new one deletes: bounded work per request. */
const SWEEP_BATCH = 100;

export function loginTicketStore(db: Executor): LoginTicketStore {
  return {
    async insert(ticket) {
      await db.insertInto('login_tickets').values(ticket).execute();
      await db
        .deleteFrom('login_tickets')
        .where('ticket_hash', 'in', (eb) =>
          eb
            .selectFrom('login_tickets')
            .select('ticket_hash')
            .where('expires_at', '<=', ticket.created_at)
            .limit(SWEEP_BATCH),
        )
        .execute();
    },
    async consume(match, at) {
      return db
        .deleteFrom('login_tickets')
        .where('ticket_hash', '=', match.ticket_hash)
        .where('client_id', '=', match.client_id)
        .where('connection', '=', match.connection)
        .where('verifier_hash', '=', match.verifier_hash)
        .where('expires_at', '>', at)
        .returningAll()
        .executeTakeFirst();
    },
  };
}
