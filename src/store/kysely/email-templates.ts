// The e-mail templates a tenant replaced through the Management API; a template never stored is the default
// (delivery/templates.ts).
import type { Selectable } from 'kysely';
import type { EmailTemplate, EmailTemplateStore } from '../types.js';
import { bool, int } from './columns.js';
import type { Executor } from './db.js';
import type { EmailTemplateTable } from './schema.js';

const fromRow = (row: Selectable<EmailTemplateTable>): EmailTemplate => ({
  template: row.template,
  body: row.body,
  from: row.sender,
  subject: row.subject,
  resultUrl: row.result_url,
  urlLifetimeInSeconds: row.url_lifetime_in_seconds === null ? null : Number(row.url_lifetime_in_seconds),
  includeEmailInRedirect: bool(Number(row.include_email_in_redirect)),
  enabled: bool(Number(row.enabled)),
});

export function emailTemplateStore(db: Executor, now: () => number): EmailTemplateStore {
  return {
    async get(name) {
      const row = await db.selectFrom('email_templates').selectAll().where('template', '=', name).executeTakeFirst();
      return row && fromRow(row);
    },
    async put(template, onlyNew = false) {
      const values = {
        template: template.template,
        body: template.body,
        sender: template.from,
        subject: template.subject,
        result_url: template.resultUrl,
        url_lifetime_in_seconds: template.urlLifetimeInSeconds,
        include_email_in_redirect: int(template.includeEmailInRedirect),
        enabled: int(template.enabled),
        updated_at: now(),
      };
      const { template: _key, ...changes } = values;
      const result = await db
        .insertInto('email_templates')
        .values(values)
        .onConflict((oc) => (onlyNew ? oc.column('template').doNothing() : oc.column('template').doUpdateSet(changes)))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async list() {
      const rows = await db.selectFrom('email_templates').selectAll().orderBy('template').execute();
      return rows.map(fromRow);
    },
    async delete(name) {
      const result = await db.deleteFrom('email_templates').where('template', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
