// Password-change and e-mail-verification tickets, by hash. A ticket is spent in one statement that also
// checks its kind and expiry, so of two requests racing with one link exactly one gets it.
import type { UserTicket, UserTicketStore } from '../types.js';
import type { UserTicketTable } from './schema.js';
import type { Executor } from './db.js';

/** How many expired tickets each new one deletes: bounded work per request. */
const SWEEP_BATCH = 100;

function ticketOf(row: UserTicketTable): UserTicket {
  return {
    ...row,
    kind: row.kind as UserTicket['kind'],
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    used_at: row.used_at === null ? null : Number(row.used_at),
    mark_email_verified: Boolean(row.mark_email_verified),
    include_email: Boolean(row.include_email),
  };
}

export function userTicketStore(db: Executor): UserTicketStore {
  return {
    async insert(ticket) {
      await db
        .insertInto('user_tickets')
        .values({
          ...ticket,
          mark_email_verified: ticket.mark_email_verified ? 1 : 0,
          include_email: ticket.include_email ? 1 : 0,
        })
        .execute();
      await db
        .deleteFrom('user_tickets')
        .where('ticket_hash', 'in', (eb) =>
          eb
            .selectFrom('user_tickets')
            .select('ticket_hash')
            .where('expires_at', '<=', ticket.created_at)
            .limit(SWEEP_BATCH),
        )
        .execute();
    },
    async get(ticketHash) {
      const row = await db
        .selectFrom('user_tickets')
        .selectAll()
        .where('ticket_hash', '=', ticketHash)
        .executeTakeFirst();
      return row && ticketOf(row);
    },
    async consume(ticketHash, kind, at) {
      const row = await db
        .updateTable('user_tickets')
        .set({ used_at: at })
        .where('ticket_hash', '=', ticketHash)
        .where('kind', '=', kind)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .returningAll()
        .executeTakeFirst();
      return row && ticketOf(row);
    },
  };
}
