import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as kyselyModule from 'kysely';
import { Kysely, sql } from 'kysely';
import { open, SqliteError } from 'threadlite';
import { ThreadliteDialect } from 'threadlite/kysely';
import { tempFile } from './helpers.mjs';

// Kysely 0.29 moved Migrator to 'kysely/migration'; 0.28 (the oldest supported) exports it from 'kysely'.
const { Migrator } = kyselyModule.Migrator ? kyselyModule : await import('kysely/migration');

/** A Kysely instance on a fresh pool; destroyed (pool closed) when the test ends. */
async function kyselyTemp(t, options = { readers: 2 }) {
  const db = await open(tempFile(t), options);
  const kysely = new Kysely({ dialect: new ThreadliteDialect({ database: db }) });
  t.after(() => kysely.destroy());
  return { db, kysely };
}

async function createSchema(kysely) {
  await kysely.schema
    .createTable('person')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();
  await kysely.schema
    .createTable('pet')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('person.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .execute();
}

test('schema, inserts, returning, joins, updates and deletes', async (t) => {
  const { kysely } = await kyselyTemp(t);
  await createSchema(kysely);
  const inserted = await kysely.insertInto('person').values({ name: 'ann' }).executeTakeFirstOrThrow();
  assert.equal(inserted.insertId, 1n);
  assert.equal(inserted.numInsertedOrUpdatedRows, 1n);
  const bob = await kysely.insertInto('person').values({ name: 'bob' }).returning(['id', 'name']).executeTakeFirstOrThrow();
  assert.deepEqual(bob, { id: 2, name: 'bob' });
  await kysely
    .insertInto('pet')
    .values([
      { owner_id: 1, name: 'rex' },
      { owner_id: 2, name: 'tom' },
      { owner_id: 1, name: 'kit' },
    ])
    .execute();
  const rows = await kysely
    .selectFrom('pet')
    .innerJoin('person', 'person.id', 'pet.owner_id')
    .select(['person.name as owner', 'pet.name as pet'])
    .orderBy('pet.id')
    .execute();
  assert.deepEqual(rows, [
    { owner: 'ann', pet: 'rex' },
    { owner: 'bob', pet: 'tom' },
    { owner: 'ann', pet: 'kit' },
  ]);
  const updated = await kysely.updateTable('pet').set({ name: 'felix' }).where('name', '=', 'tom').executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n);
  const deleted = await kysely.deleteFrom('pet').where('owner_id', '=', 1).executeTakeFirst();
  assert.equal(deleted.numDeletedRows, 2n);
  // Raw SQL through Kysely: reader and non-reader statements both work.
  const { rows: counted } = await sql`SELECT count(*) AS n FROM pet`.execute(kysely);
  assert.deepEqual(counted, [{ n: 1 }]);
  const raw = await sql`UPDATE pet SET name = ${'tom'}`.execute(kysely);
  assert.equal(raw.numAffectedRows, 1n);
  // A SQLite error keeps its class and code.
  await assert.rejects(kysely.insertInto('person').values({ name: 'ann' }).execute(), (err) => {
    assert.ok(err instanceof SqliteError);
    assert.equal(err.code, 'SQLITE_CONSTRAINT_UNIQUE');
    return true;
  });
  // The introspector works through the dialect.
  const tables = await kysely.introspection.getTables();
  assert.deepEqual(tables.map((tb) => tb.name).sort(), ['person', 'pet']);
});

test('a transaction commits, one that throws rolls back, and other callers never see inside', async (t) => {
  const { kysely, db } = await kyselyTemp(t);
  await createSchema(kysely);
  // The pool sends a statement to readers once the writer has seen it (see docs/integrations.md):
  // run the outside read once before the transaction, else it would queue behind the transaction.
  assert.deepEqual(await kysely.selectFrom('person').selectAll().execute(), []);
  const result = await kysely.transaction().execute(async (trx) => {
    await trx.insertInto('person').values({ name: 'ann' }).execute();
    // Outside the transaction, a read (on a reader) sees only committed data.
    const outside = await kysely.selectFrom('person').selectAll().execute();
    assert.deepEqual(outside, []);
    return trx.selectFrom('person').select('name').executeTakeFirstOrThrow();
  });
  assert.deepEqual(result, { name: 'ann' });
  assert.deepEqual(await kysely.selectFrom('person').select('name').execute(), [{ name: 'ann' }]);

  const failure = new Error('abort the transaction');
  await assert.rejects(
    kysely.transaction().execute(async (trx) => {
      await trx.insertInto('person').values({ name: 'bob' }).execute();
      await trx.insertInto('pet').values({ owner_id: 2, name: 'rex' }).execute();
      assert.equal((await trx.selectFrom('pet').selectAll().execute()).length, 1);
      throw failure;
    }),
    (err) => err === failure,
  );
  assert.deepEqual(await kysely.selectFrom('person').select('name').execute(), [{ name: 'ann' }]);
  assert.deepEqual(await kysely.selectFrom('pet').selectAll().execute(), []);

  // A write outside waits for the transaction, then lands after it: never inside it.
  let outsideWrite;
  await kysely.transaction().execute(async (trx) => {
    outsideWrite = kysely.insertInto('person').values({ name: 'cy' }).execute();
    await trx.insertInto('person').values({ name: 'dee' }).execute();
    const inside = await trx.selectFrom('person').select('name').orderBy('id').execute();
    assert.deepEqual(inside.map((r) => r.name), ['ann', 'dee']);
  });
  await outsideWrite;
  const names = (await kysely.selectFrom('person').select('name').orderBy('id').execute()).map((r) => r.name);
  assert.deepEqual(names, ['ann', 'dee', 'cy']);
  // The writer was given back: the pool's own transactions still work.
  await db.transaction((tx) => tx.run('DELETE FROM person WHERE name = ?', ['cy']));
  assert.equal((await kysely.selectFrom('person').selectAll().execute()).length, 2);
});

test('controlled transactions and savepoints', async (t) => {
  const { kysely } = await kyselyTemp(t);
  await createSchema(kysely);
  const trx = await kysely.startTransaction().execute();
  await trx.insertInto('person').values({ name: 'ann' }).execute();
  const sp = await trx.savepoint('before "bob"').execute();
  await sp.insertInto('person').values({ name: 'bob' }).execute();
  const back = await sp.rollbackToSavepoint('before "bob"').execute();
  await back.insertInto('person').values({ name: 'cy' }).execute();
  await back.commit().execute();
  assert.deepEqual((await kysely.selectFrom('person').select('name').orderBy('id').execute()).map((r) => r.name), ['ann', 'cy']);

  const trx2 = await kysely.startTransaction().execute();
  await trx2.insertInto('person').values({ name: 'dee' }).execute();
  await trx2.rollback().execute();
  assert.equal((await kysely.selectFrom('person').selectAll().execute()).length, 2);
});

test('selectAll().stream() yields every row in order, and breaking out closes the cursor', async (t) => {
  const { kysely, db } = await kyselyTemp(t);
  await kysely.schema.createTable('n').addColumn('i', 'integer').execute();
  await db.batch(Array.from({ length: 1000 }, (_, i) => ['INSERT INTO n VALUES (?)', [i]]));
  const seen = [];
  for await (const row of kysely.selectFrom('n').selectAll().orderBy('i').stream(64)) seen.push(row.i);
  assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
  let count = 0;
  for await (const _row of kysely.selectFrom('n').selectAll().stream(10)) if (++count === 25) break;
  assert.equal(count, 25);
  // Streaming inside a transaction reads the transaction's own writes.
  await kysely.transaction().execute(async (trx) => {
    await trx.insertInto('n').values({ i: 1000 }).execute();
    let n = 0;
    for await (const _row of trx.selectFrom('n').selectAll().stream()) n++;
    assert.equal(n, 1001);
  });
  // The pool is healthy afterwards.
  assert.deepEqual(await kysely.selectFrom('n').select((eb) => eb.fn.countAll().as('c')).execute(), [{ c: 1001 }]);
});

test("Kysely's Migrator runs migrations up and down", async (t) => {
  const { kysely } = await kyselyTemp(t);
  const migrations = {
    '001_person': {
      async up(k) {
        await k.schema.createTable('person').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
      },
      async down(k) {
        await k.schema.dropTable('person').execute();
      },
    },
    '002_person_age': {
      async up(k) {
        await k.schema.alterTable('person').addColumn('age', 'integer').execute();
        await k.schema.createIndex('person_age').on('person').column('age').execute();
      },
      async down(k) {
        await k.schema.dropIndex('person_age').execute();
        await k.schema.alterTable('person').dropColumn('age').execute();
      },
    },
  };
  const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } });
  const up = await migrator.migrateToLatest();
  assert.equal(up.error, undefined);
  assert.deepEqual(up.results.map((r) => [r.migrationName, r.direction, r.status]), [
    ['001_person', 'Up', 'Success'],
    ['002_person_age', 'Up', 'Success'],
  ]);
  await kysely.insertInto('person').values({ id: 1, name: 'ann', age: 30 }).execute();
  assert.deepEqual(await kysely.selectFrom('person').selectAll().execute(), [{ id: 1, name: 'ann', age: 30 }]);
  const again = await migrator.migrateToLatest();
  assert.deepEqual(again.results, []);

  const down = await migrator.migrateDown();
  assert.equal(down.error, undefined);
  assert.deepEqual(down.results.map((r) => [r.migrationName, r.direction, r.status]), [['002_person_age', 'Down', 'Success']]);
  assert.deepEqual(await kysely.selectFrom('person').selectAll().execute(), [{ id: 1, name: 'ann' }]);

  // A failing migration rolls back with its transaction.
  const broken = new Migrator({
    db: kysely,
    provider: {
      getMigrations: async () => ({
        ...migrations,
        '003_broken': {
          async up(k) {
            await k.schema.createTable('half').addColumn('x', 'integer').execute();
            await sql`SELEC oops`.execute(k);
          },
        },
      }),
    },
  });
  const failed = await broken.migrateToLatest();
  assert.ok(failed.error instanceof SqliteError);
  const tables = (await kysely.introspection.getTables()).map((tb) => tb.name);
  assert.ok(!tables.includes('half'), 'the failed migration left no table behind');
});

test('the dialect accepts a function that opens the pool, and validates its config', async (t) => {
  const file = tempFile(t);
  let opened = 0;
  const kysely = new Kysely({
    dialect: new ThreadliteDialect({
      database: async () => {
        opened++;
        return open(file);
      },
    }),
  });
  t.after(() => kysely.destroy());
  const { rows } = await sql`SELECT 1 AS one`.execute(kysely);
  await sql`SELECT 2`.execute(kysely);
  assert.deepEqual(rows, [{ one: 1 }]);
  assert.equal(opened, 1);
  assert.throws(() => new ThreadliteDialect({}), TypeError);
  assert.throws(() => new ThreadliteDialect({ database: {}, transactionMode: 'eventual' }), TypeError);
});

test("Kysely's query log shows the transaction statements that ran, in order", async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  const logged = [];
  const kysely = new Kysely({
    dialect: new ThreadliteDialect({ database: db }),
    log: (event) => logged.push(event.level === 'error' ? `error: ${event.query.sql}` : event.query.sql),
  });
  t.after(() => kysely.destroy());
  await createSchema(kysely);
  logged.length = 0;
  const trx = await kysely.startTransaction().execute();
  await trx.insertInto('person').values({ name: 'ann' }).execute();
  const sp = await trx.savepoint('a"b').execute();
  await sp.insertInto('person').values({ name: 'bob' }).execute();
  const back = await sp.rollbackToSavepoint('a"b').execute();
  const released = await back.releaseSavepoint('a"b').execute();
  await released.commit().execute();
  await kysely.transaction().execute(async (tx) => {
    await tx.insertInto('person').values({ name: 'cy' }).execute();
    throw new Error('roll back');
  }).catch(() => {});
  assert.deepEqual(logged, [
    'begin immediate',
    'insert into "person" ("name") values (?)',
    'savepoint "a""b"',
    'insert into "person" ("name") values (?)',
    'rollback to "a""b"',
    'release "a""b"',
    'commit',
    'begin immediate',
    'insert into "person" ("name") values (?)',
    'rollback',
  ]);
  assert.deepEqual((await db.all('SELECT name FROM person')).map((r) => r.name), ['ann']);
});
