// drizzle-orm on threadlite: a schema, inserts with returning(), a relational
// query, a batch and a transaction.
// Run: npm run build && node examples/drizzle.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, relations } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { open } from 'threadlite';
import { drizzle } from 'threadlite/drizzle';

const authors = sqliteTable('authors', { id: integer('id').primaryKey(), name: text('name').notNull() });
const books = sqliteTable('books', {
  id: integer('id').primaryKey(),
  authorId: integer('author_id').notNull().references(() => authors.id),
  title: text('title').notNull(),
});
const authorsRelations = relations(authors, ({ many }) => ({ books: many(books) }));
const booksRelations = relations(books, ({ one }) => ({ author: one(authors, { fields: [books.authorId], references: [authors.id] }) }));

const dir = mkdtempSync(join(tmpdir(), 'threadlite-example-'));
const db = await open(join(dir, 'drizzle.db'));
try {
  await db.exec(`
    CREATE TABLE authors(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE books(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id), title TEXT NOT NULL);
  `);
  const orm = drizzle(db, { schema: { authors, books, authorsRelations, booksRelations } });
  const [author] = await orm.insert(authors).values({ name: 'Calvino' }).returning();
  await orm.batch([
    orm.insert(books).values({ authorId: author.id, title: 'Invisible Cities' }),
    orm.insert(books).values({ authorId: author.id, title: 'If on a winter’s night a traveler' }),
  ]);
  await orm.transaction(async (tx) => {
    await tx.update(authors).set({ name: 'Italo Calvino' }).where(eq(authors.id, author.id));
  });
  const found = await orm.query.authors.findFirst({ with: { books: { columns: { title: true } } } });
  console.log(`${found.name}: ${found.books.map((b) => b.title).join('; ')}`);
  console.log('drizzle example ok');
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
