// TypeORM 0.3 (`type: 'sqlite'`) with threadlite/sqlite3 as its driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import 'reflect-metadata';
import { DataSource, EntitySchema } from 'typeorm';
import sqlite3 from 'threadlite/sqlite3';
import { tempFile } from './helpers.mjs';

sqlite3.setOpenOptions({ readers: 2 });

const User = new EntitySchema({
  name: 'User',
  columns: { id: { type: Number, primary: true, generated: true }, name: { type: String, unique: true } },
  relations: { posts: { type: 'one-to-many', target: 'Post', inverseSide: 'author' } },
});
const Post = new EntitySchema({
  name: 'Post',
  columns: { id: { type: Number, primary: true, generated: true }, title: { type: String }, published: { type: Boolean, default: false } },
  relations: { author: { type: 'many-to-one', target: 'User', inverseSide: 'posts', onDelete: 'CASCADE' } },
});

async function dataSource(t, file = tempFile(t)) {
  const ds = new DataSource({ type: 'sqlite', database: file, driver: sqlite3, entities: [User, Post], synchronize: true });
  await ds.initialize();
  t.after(() => ds.destroy());
  return ds;
}

test('synchronize, CRUD, relations and cascades', async (t) => {
  const ds = await dataSource(t);
  const users = ds.getRepository('User');
  const ann = await users.save({ name: 'ann', posts: [] });
  await ds.getRepository('Post').save([{ title: 'a', author: ann }, { title: 'b', published: true, author: ann }]);
  const found = await users.findOne({ where: { name: 'ann' }, relations: { posts: true } });
  assert.equal(found.id, ann.id);
  assert.deepEqual(found.posts.map((p) => [p.title, p.published]).sort(), [['a', false], ['b', true]]);
  await users.update({ id: ann.id }, { name: 'ann b.' });
  assert.equal((await users.findOneBy({ id: ann.id })).name, 'ann b.');
  await assert.rejects(users.insert({ name: 'ann b.' }), (err) => err.driverError?.code === 'SQLITE_CONSTRAINT');
  await users.delete({ id: ann.id });
  assert.equal(await ds.getRepository('Post').count(), 0); // ON DELETE CASCADE: TypeORM turns foreign_keys on
});

test('transactions commit, roll back (rows absent) and nest as savepoints', async (t) => {
  const ds = await dataSource(t);
  await ds.transaction(async (m) => { await m.save('User', { name: 'kept' }); });
  await assert.rejects(ds.transaction(async (m) => { await m.save('User', { name: 'gone' }); throw new Error('undo'); }), /undo/);
  const qr = ds.createQueryRunner();
  await qr.startTransaction();
  await qr.manager.save('User', { name: 'outer' });
  await qr.startTransaction(); // SAVEPOINT
  await qr.manager.save('User', { name: 'inner' });
  await qr.rollbackTransaction(); // ROLLBACK TO SAVEPOINT
  await qr.commitTransaction();
  assert.deepEqual((await ds.getRepository('User').find({ order: { id: 'ASC' } })).map((u) => u.name), ['kept', 'outer']);
});

test('two DataSources on one file are two connections: isolated transactions, concurrent requests', async (t) => {
  const file = tempFile(t);
  const a = await dataSource(t, file);
  const b = await dataSource(t, file);
  const qr = a.createQueryRunner();
  await qr.startTransaction();
  await qr.manager.save('User', { name: 'pending' });
  // b reads on a reader meanwhile and does not see a's uncommitted row.
  assert.equal(await b.getRepository('User').count(), 0);
  const order = [];
  const write = b.getRepository('User').save({ name: 'waits' }).then(() => order.push('b wrote'));
  assert.equal(await b.getRepository('User').count(), 0);
  assert.deepEqual(order, []);
  await qr.commitTransaction();
  order.push('a committed');
  await write;
  assert.deepEqual(order, ['a committed', 'b wrote']);
  await Promise.all(Array.from({ length: 10 }, (_, i) => b.getRepository('User').save({ name: `u${i}` })));
  assert.equal(await a.getRepository('User').count(), 12);
});
