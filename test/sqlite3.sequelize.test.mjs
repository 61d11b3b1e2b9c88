// Sequelize 6 (`dialect: 'sqlite'`) with threadlite/sqlite3 as its `dialectModule`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataTypes, Sequelize } from 'sequelize';
import sqlite3 from 'threadlite/sqlite3';
import { tempFile } from './helpers.mjs';

sqlite3.setOpenOptions({ readers: 2 });

async function models(t) {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: tempFile(t), dialectModule: sqlite3, logging: false });
  const Author = sequelize.define('Author', { name: { type: DataTypes.STRING, unique: true } });
  const Book = sequelize.define('Book', { title: DataTypes.STRING, pages: DataTypes.INTEGER });
  Author.hasMany(Book);
  Book.belongsTo(Author);
  await sequelize.sync();
  t.after(() => sequelize.close());
  return { sequelize, Author, Book };
}

test('sync, CRUD, associations and errors', async (t) => {
  const { Author, Book } = await models(t);
  const ann = await Author.create({ name: 'ann' });
  await Book.bulkCreate([{ title: 'a', pages: 10, AuthorId: ann.id }, { title: 'b', pages: 20, AuthorId: ann.id }]);
  const found = await Author.findOne({ where: { name: 'ann' }, include: Book, order: [[Book, 'id', 'ASC']] });
  assert.deepEqual(found.Books.map((b) => [b.title, b.pages]), [['a', 10], ['b', 20]]);
  await Book.update({ pages: 30 }, { where: { title: 'a' } });
  assert.equal(await Book.sum('pages'), 50);
  await assert.rejects(Author.create({ name: 'ann' }), (err) => err.name === 'SequelizeUniqueConstraintError');
  await Book.destroy({ where: { title: 'b' } });
  assert.equal(await Book.count(), 1);
});

test('transactions commit, roll back (rows absent), nest as savepoints, and run concurrently in turn', async (t) => {
  const { sequelize, Author } = await models(t);
  await sequelize.transaction(async (tx) => { await Author.create({ name: 'kept' }, { transaction: tx }); });
  await assert.rejects(
    sequelize.transaction(async (tx) => { await Author.create({ name: 'gone' }, { transaction: tx }); throw new Error('undo'); }),
    /undo/,
  );
  await sequelize.transaction(async (tx) => {
    await Author.create({ name: 'outer' }, { transaction: tx });
    await assert.rejects(
      sequelize.transaction({ transaction: tx }, async (sp) => { await Author.create({ name: 'inner' }, { transaction: sp }); throw new Error('inner'); }),
      /inner/,
    );
  });
  // Each Sequelize transaction gets its own node-sqlite3 connection: here each is a
  // facade with its own writer lease, so concurrent transactions take turns instead of failing with SQLITE_BUSY.
  await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      sequelize.transaction(async (tx) => {
        const n = await Author.count({ transaction: tx });
        await Author.create({ name: `t${i}-${n}` }, { transaction: tx });
      }),
    ),
  );
  const names = (await Author.findAll({ order: [['id', 'ASC']] })).map((a) => a.name);
  assert.deepEqual(names.slice(0, 2), ['kept', 'outer']);
  assert.equal(names.length, 7);
  // Each transaction counted the rows committed before it: the counts are 2, 3, 4, 5, 6 in some order.
  assert.deepEqual(names.slice(2).map((n) => Number(n.split('-')[1])).sort(), [2, 3, 4, 5, 6]);
});
