import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asc, desc, eq, gt, is, relations, sql } from 'drizzle-orm';
import { TransactionRollbackError } from 'drizzle-orm/errors';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { SqliteError } from 'threadlite';
import { drizzle } from 'threadlite/drizzle';
import { openTemp } from './helpers.mjs';

const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  age: integer('age'),
});
const posts = sqliteTable('posts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  authorId: integer('author_id').notNull().references(() => users.id),
  title: text('title').notNull(),
});
const usersRelations = relations(users, ({ many }) => ({ posts: many(posts) }));
const postsRelations = relations(posts, ({ one }) => ({ author: one(users, { fields: [posts.authorId], references: [users.id] }) }));
const schema = { users, posts, usersRelations, postsRelations };

async function setup(t) {
  const db = await openTemp(t, { readers: 2 });
  await db.exec(`
    CREATE TABLE users(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, age INTEGER);
    CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL);
  `);
  return { db, orm: drizzle(db, { schema }) };
}

test('inserts with returning(), selects with where/orderBy, joins, updates, deletes', async (t) => {
  const { orm } = await setup(t);
  const inserted = await orm
    .insert(users)
    .values([{ name: 'ann', age: 31 }, { name: 'bob', age: 17 }, { name: 'cy', age: 45 }])
    .returning();
  assert.deepEqual(inserted, [
    { id: 1, name: 'ann', age: 31 },
    { id: 2, name: 'bob', age: 17 },
    { id: 3, name: 'cy', age: 45 },
  ]);
  const [post] = await orm.insert(posts).values({ authorId: 1, title: 'hello' }).returning({ id: posts.id });
  assert.deepEqual(post, { id: 1 });
  await orm.insert(posts).values([{ authorId: 3, title: 'a' }, { authorId: 1, title: 'b' }]);

  assert.deepEqual(await orm.select({ name: users.name }).from(users).where(gt(users.age, 20)).orderBy(desc(users.age)), [
    { name: 'cy' },
    { name: 'ann' },
  ]);
  // Both tables have an `id` column: rows travel as arrays, so the join keeps them apart.
  const joined = await orm.select().from(posts).innerJoin(users, eq(posts.authorId, users.id)).orderBy(asc(posts.id));
  assert.deepEqual(
    joined.map((r) => [r.posts.id, r.users.id, r.users.name, r.posts.title]),
    [
      [1, 1, 'ann', 'hello'],
      [2, 3, 'cy', 'a'],
      [3, 1, 'ann', 'b'],
    ],
  );
  assert.deepEqual(await orm.select().from(users).where(eq(users.name, 'nobody')).get(), undefined);
  assert.deepEqual(await orm.select().from(users).where(eq(users.id, 2)).get(), { id: 2, name: 'bob', age: 17 });

  const updated = await orm.update(users).set({ age: 18 }).where(eq(users.name, 'bob')).returning({ age: users.age });
  assert.deepEqual(updated, [{ age: 18 }]);
  const result = await orm.delete(posts).where(eq(posts.authorId, 3));
  assert.equal(result.changes, 1);
  assert.deepEqual(await orm.get(sql`SELECT count(*) FROM ${posts}`), [2]);

  await assert.rejects(orm.insert(users).values({ name: 'ann' }), (err) => {
    assert.ok(err instanceof SqliteError || err.cause instanceof SqliteError, String(err));
    const e = err instanceof SqliteError ? err : err.cause;
    assert.equal(e.code, 'SQLITE_CONSTRAINT_UNIQUE');
    return true;
  });
});

test('relational queries (db.query) with nested relations', async (t) => {
  const { orm } = await setup(t);
  await orm.insert(users).values([{ name: 'ann' }, { name: 'bob' }]);
  await orm.insert(posts).values([{ authorId: 1, title: 'p1' }, { authorId: 1, title: 'p2' }, { authorId: 2, title: 'p3' }]);
  const found = await orm.query.users.findMany({
    columns: { name: true },
    with: { posts: { columns: { title: true }, orderBy: (p, { asc: a }) => [a(p.id)] } },
    orderBy: (u, { asc: a }) => [a(u.id)],
  });
  assert.deepEqual(found, [
    { name: 'ann', posts: [{ title: 'p1' }, { title: 'p2' }] },
    { name: 'bob', posts: [{ title: 'p3' }] },
  ]);
  const first = await orm.query.posts.findFirst({ where: eq(posts.title, 'p3'), with: { author: true } });
  assert.deepEqual(first, { id: 3, authorId: 2, title: 'p3', author: { id: 2, name: 'bob', age: null } });
});

test('batch() runs all statements in one transaction: all commit or none does', async (t) => {
  const { orm } = await setup(t);
  const [a, b, c] = await orm.batch([
    orm.insert(users).values({ name: 'ann' }).returning({ id: users.id }),
    orm.insert(users).values({ name: 'bob' }),
    orm.select({ name: users.name }).from(users).orderBy(users.id),
  ]);
  assert.deepEqual(a, [{ id: 1 }]);
  assert.equal(b.changes, 1);
  assert.deepEqual(c, [{ name: 'ann' }, { name: 'bob' }]);
  await assert.rejects(
    orm.batch([orm.insert(users).values({ name: 'cy' }), orm.insert(users).values({ name: 'ann' })]),
    (err) => (err instanceof SqliteError ? err : err.cause)?.code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
  assert.deepEqual(await orm.select({ name: users.name }).from(users).orderBy(users.id), [{ name: 'ann' }, { name: 'bob' }]);
});

test('transactions commit, roll back on throw and on tx.rollback(), nest as savepoints, and isolate', async (t) => {
  const { orm, db } = await setup(t);
  const countSql = orm.select({ n: sql`count(*)` }).from(users);
  assert.deepEqual(await countSql, [{ n: 0 }]); // the pool has now seen this read, so it runs on a reader

  const id = await orm.transaction(async (tx) => {
    const [row] = await tx.insert(users).values({ name: 'ann' }).returning({ id: users.id });
    assert.deepEqual(await tx.select({ n: sql`count(*)` }).from(users), [{ n: 1 }]);
    // As with drizzle's better-sqlite3 driver, the outer instance used inside the
    // callback runs in the transaction (threadlite's rule), rather than deadlock behind it.
    assert.deepEqual(await countSql, [{ n: 1 }]);
    return row.id;
  });
  assert.equal(id, 1);
  // Another caller, outside the callback, sees only committed data while a transaction is open.
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let entered;
  const inside = new Promise((resolve) => (entered = resolve));
  const open = orm.transaction(async (tx) => {
    await tx.insert(users).values({ name: 'pending' });
    entered();
    await gate;
    tx.rollback();
  });
  await inside;
  assert.deepEqual(await countSql, [{ n: 1 }]);
  release();
  await assert.rejects(open, (err) => is(err, TransactionRollbackError));

  const boom = new Error('boom');
  await assert.rejects(
    orm.transaction(async (tx) => {
      await tx.insert(users).values({ name: 'bob' });
      throw boom;
    }),
    (err) => err === boom,
  );
  await assert.rejects(
    orm.transaction(async (tx) => {
      await tx.insert(users).values({ name: 'bob' });
      tx.rollback();
    }),
    // threadlite/drizzle loads drizzle's CommonJS build, so compare with drizzle's is(), not instanceof.
    (err) => is(err, TransactionRollbackError),
  );
  assert.deepEqual(await orm.select({ name: users.name }).from(users), [{ name: 'ann' }]);

  await orm.transaction(async (tx) => {
    await tx.insert(users).values({ name: 'cy' });
    await assert.rejects(
      tx.transaction(async (inner) => {
        await inner.insert(users).values({ name: 'dee' });
        throw boom;
      }),
      (err) => err === boom,
    );
    await tx.transaction(async (inner) => {
      await inner.insert(users).values({ name: 'eve' });
    });
  }, { behavior: 'immediate' });
  assert.deepEqual((await orm.select({ name: users.name }).from(users).orderBy(users.id)).map((r) => r.name), ['ann', 'cy', 'eve']);

  // The outer instance used inside the callback is rolled back with it.
  await assert.rejects(
    orm.transaction(async (tx) => {
      await orm.insert(users).values({ name: 'zed' });
      await tx.insert(users).values({ name: 'fay' });
      throw boom;
    }),
    (err) => err === boom,
  );
  assert.deepEqual((await orm.select({ name: users.name }).from(users).orderBy(users.id)).map((r) => r.name), ['ann', 'cy', 'eve']);
  await assert.rejects(() => orm.transaction(async () => {}, { behavior: 'eventual' }), TypeError);
  assert.equal(db.open, true);
});
