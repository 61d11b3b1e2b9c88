// Knex on threadlite/knex (Knex's own SQLite client with threadlite/sqlite3 as
// its driver): migrations, CRUD, joins, transactions, savepoints, concurrency.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import knexFactory from 'knex';
import { Client } from 'threadlite/knex';
import { setOpenOptions } from 'threadlite/sqlite3';
import { tempFile } from './helpers.mjs';

setOpenOptions({ readers: 2 });

function knexTemp(t, pool) {
  const knex = knexFactory({ client: Client, connection: { filename: tempFile(t) }, useNullAsDefault: true, ...(pool ? { pool } : {}) });
  t.after(() => knex.destroy());
  return knex;
}

/** Two migrations as an in-memory migration source. */
const migrations = {
  getMigrations: async () => ['001_people', '002_pets'],
  getMigrationName: (m) => m,
  getMigration: async (m) =>
    m === '001_people'
      ? {
          up: (k) => k.schema.createTable('person', (tb) => { tb.increments('id'); tb.string('name').notNullable().unique(); }),
          down: (k) => k.schema.dropTable('person'),
        }
      : {
          up: (k) => k.schema.createTable('pet', (tb) => { tb.increments('id'); tb.integer('owner_id').references('person.id'); tb.string('name'); }),
          down: (k) => k.schema.dropTable('pet'),
        },
};

test('require and import give the same client class', () => {
  assert.equal(createRequire(import.meta.url)('threadlite/knex').Client, Client);
  assert.equal(typeof Client, 'function');
});

test('migrations, CRUD, joins and errors', async (t) => {
  const knex = knexTemp(t);
  const [batch, names] = await knex.migrate.latest({ migrationSource: migrations });
  assert.equal(batch, 1);
  assert.deepEqual(names, ['001_people', '002_pets']);
  const [ann] = await knex('person').insert({ name: 'ann' });
  const [bob] = await knex('person').insert({ name: 'bob' }).returning('id');
  assert.equal(ann, 1);
  assert.deepEqual(bob, { id: 2 });
  await knex('pet').insert([{ owner_id: ann, name: 'rex' }, { owner_id: 2, name: 'tom' }]);
  const rows = await knex('pet').join('person', 'person.id', 'pet.owner_id').select('person.name as owner', 'pet.name as pet').orderBy('pet.id');
  assert.deepEqual(rows, [{ owner: 'ann', pet: 'rex' }, { owner: 'bob', pet: 'tom' }]);
  assert.equal(await knex('pet').where({ name: 'tom' }).update({ name: 'felix' }), 1);
  assert.equal(await knex('pet').where({ owner_id: ann }).del(), 1);
  assert.deepEqual(await knex('pet').select('name'), [{ name: 'felix' }]);
  await assert.rejects(knex('person').insert({ name: 'ann' }), { code: 'SQLITE_CONSTRAINT', errno: 19 });
  await knex.migrate.rollback({ migrationSource: migrations });
  assert.equal(await knex.schema.hasTable('person'), false);
});

test('transactions commit, roll back (rows absent), and nest as savepoints', async (t) => {
  const knex = knexTemp(t);
  await knex.schema.createTable('t', (tb) => { tb.increments('id'); tb.string('v'); });
  await knex.transaction(async (trx) => { await trx('t').insert({ v: 'committed' }); });
  await assert.rejects(knex.transaction(async (trx) => { await trx('t').insert({ v: 'rolled back' }); throw new Error('undo'); }), /undo/);
  await knex.transaction(async (trx) => {
    await trx('t').insert({ v: 'outer' });
    await assert.rejects(trx.transaction(async (inner) => { await inner('t').insert({ v: 'inner' }); throw new Error('inner undo'); }), /inner undo/);
  });
  assert.deepEqual((await knex('t').orderBy('id')).map((r) => r.v), ['committed', 'outer']);
});

test('concurrent requests: reads run while a transaction holds the writer; writes wait their turn', async (t) => {
  const knex = knexTemp(t, { min: 1, max: 4 });
  await knex.schema.createTable('t', (tb) => { tb.increments('id'); tb.integer('n'); });
  await knex('t').insert({ n: 0 });
  let release;
  const held = new Promise((resolve) => (release = resolve));
  let inside;
  const entered = new Promise((resolve) => (inside = resolve));
  const trx = knex.transaction(async (tx) => {
    await tx('t').insert({ n: 1 });
    inside();
    await held;
  });
  await entered;
  const order = [];
  const write = knex('t').insert({ n: 2 }).then(() => order.push('write'));
  // Reads on other pool connections do not wait and see only committed rows.
  const reads = await Promise.all([1, 2, 3].map(() => knex('t').count({ c: '*' }).first()));
  assert.deepEqual(reads, [{ c: 1 }, { c: 1 }, { c: 1 }]);
  assert.deepEqual(order, []);
  release();
  await trx;
  order.push('committed');
  await write;
  assert.deepEqual(order, ['committed', 'write']);
  await Promise.all(Array.from({ length: 20 }, (_, i) => knex('t').insert({ n: 10 + i })));
  assert.deepEqual(await knex('t').count({ c: '*' }).first(), { c: 23 });
});
