// threadlite/sqlite3 as node-sqlite3 for Knex, TypeORM 0.3 and Sequelize, all on
// one database file and so on one shared threadlite pool.
// Run: npm run build && node examples/sqlite3-orms.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import knexFactory from 'knex';
import { Sequelize, DataTypes } from 'sequelize';
import { DataSource, EntitySchema } from 'typeorm';
import { Client } from 'threadlite/knex';
import sqlite3 from 'threadlite/sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'threadlite-example-'));
const file = join(dir, 'orms.db');
try {
  // 1. Plain node-sqlite3 code: only the require changed.
  const db = new sqlite3.Database(file);
  await new Promise((resolve, reject) =>
    db.serialize(() => {
      db.run('CREATE TABLE note(id INTEGER PRIMARY KEY, body TEXT)');
      db.run('INSERT INTO note(body) VALUES ($body)', { $body: 'hello' }, function (err) {
        if (err) reject(err);
        else console.log(`node-sqlite3 API: inserted note ${this.lastID}`);
      });
      db.get('SELECT count(*) AS n FROM note', (err, row) => (err ? reject(err) : resolve(row)));
    }),
  );

  // 2. Knex: Knex's own SQLite client with threadlite/sqlite3 as its driver.
  const knex = knexFactory({ client: Client, connection: { filename: file }, useNullAsDefault: true });
  await knex.schema.createTable('person', (t) => { t.increments('id'); t.string('name'); });
  await knex.transaction(async (trx) => { await trx('person').insert([{ name: 'ann' }, { name: 'bob' }]); });
  console.log(`knex: ${(await knex('person').orderBy('id')).map((p) => p.name).join(', ')}`);

  // 3. TypeORM 0.3: `driver` is the node-sqlite3 module.
  const Person = new EntitySchema({ name: 'person', columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } } });
  const ds = await new DataSource({ type: 'sqlite', database: file, driver: sqlite3, entities: [Person] }).initialize();
  console.log(`typeorm: ${await ds.getRepository('person').count()} people`);

  // 4. Sequelize: `dialectModule` is the node-sqlite3 module.
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: file, dialectModule: sqlite3, logging: false });
  const Note = sequelize.define('note', { body: DataTypes.TEXT }, { tableName: 'note', timestamps: false });
  await sequelize.transaction(async (transaction) => { await Note.create({ body: 'from sequelize' }, { transaction }); });
  console.log(`sequelize: ${(await Note.findAll()).map((n) => n.body).join(' / ')}`);

  console.log(`pools open: ${sqlite3.openPools().length} (for ${sqlite3.openPools()[0]?.databases} facade connections)`);
  await Promise.all([knex.destroy(), ds.destroy(), sequelize.close(), new Promise((r) => db.close(r))]);
  console.log(`pools open after closing: ${sqlite3.openPools().length}`);
  console.log('sqlite3 orms example ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
