// Kysely on threadlite: a migration, inserts, a join, a transaction, a stream.
// Run: npm run build && node examples/kysely.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration'; // Kysely 0.29; in 0.28: import { Migrator } from 'kysely'
import { open } from 'threadlite';
import { ThreadliteDialect } from 'threadlite/kysely';

const dir = mkdtempSync(join(tmpdir(), 'threadlite-example-'));
const kysely = new Kysely({ dialect: new ThreadliteDialect({ database: await open(join(dir, 'kysely.db')) }) });
try {
  const migrations = {
    '001_init': {
      async up(db) {
        await db.schema.createTable('author').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
        await db.schema
          .createTable('book')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('author_id', 'integer', (c) => c.references('author.id'))
          .addColumn('title', 'text')
          .execute();
      },
    },
  };
  const { error } = await new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) throw error;

  await kysely.transaction().execute(async (trx) => {
    const { id } = await trx.insertInto('author').values({ name: 'Le Guin' }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('book').values([{ author_id: id, title: 'The Dispossessed' }, { author_id: id, title: 'The Lathe of Heaven' }]).execute();
  });
  const rows = await kysely
    .selectFrom('book')
    .innerJoin('author', 'author.id', 'book.author_id')
    .select(['author.name', 'book.title'])
    .orderBy('book.title')
    .execute();
  for (const r of rows) console.log(`${r.name}: ${r.title}`);
  let streamed = 0;
  for await (const _ of kysely.selectFrom('book').selectAll().stream()) streamed++;
  console.log(`streamed ${streamed} books`);
  console.log('kysely example ok');
} finally {
  await kysely.destroy(); // closes the pool
  rmSync(dir, { recursive: true, force: true });
}
