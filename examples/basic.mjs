// The basics: open a pool on a temporary file, create a table, write in a
// transaction, read with the sql template, stream rows, close.
// Run: npm run build && node examples/basic.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, sql } from 'threadlite';

const dir = mkdtempSync(join(tmpdir(), 'threadlite-example-'));
const db = await open(join(dir, 'basic.db'), { readers: 2 });
try {
  await db.exec('CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)');
  await db.transaction(async (tx) => {
    for (const [name, age] of [['ann', 31], ['bob', 17], ["o'brien", 45]]) {
      await tx.run(sql`INSERT INTO users(name, age) VALUES (${name}, ${age})`);
    }
  });
  const adults = await db.all(sql`SELECT name FROM users WHERE age >= ${18} ORDER BY name`);
  console.log('adults:', adults.map((u) => u.name).join(', '));
  let total = 0;
  for await (const row of db.iterate('SELECT age FROM users', [], { batchSize: 2 })) total += row.age;
  console.log('total age:', total);
  console.log('basic example ok');
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
