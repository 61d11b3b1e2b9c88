// threadlite/prisma with a real Prisma Client, generated offline from
// test/fixtures/prisma/schema.prisma before the tests run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { open } from 'threadlite';
import { PrismaThreadlite } from 'threadlite/prisma';
import { tempFile } from './helpers.mjs';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
let PrismaClient;
let Prisma;

before(() => {
  // `prisma generate` needs no download for prisma-client-js: the query
  // compiler is WebAssembly inside @prisma/client. The CLI still looks for the
  // schema engine binary at start; pointing it at /bin/false stops it from
  // trying the network (generation never runs the schema engine).
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', 'test/fixtures/prisma/schema.prisma'], {
    cwd: root,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: 'pipe',
  });
  ({ PrismaClient, Prisma } = require('./.generated/prisma-client'));
});

// The tables of the schema, as Prisma Migrate would create them.
const SCHEMA = `
  CREATE TABLE "User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "big" BIGINT NOT NULL DEFAULT 0,
    "score" REAL NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "avatar" BLOB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
  );
  CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
  CREATE TABLE "Post" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "title" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
  );
`;

async function prismaTemp(t, options = { readers: 2, pragmas: { foreign_keys: 'ON' } }) {
  const db = await open(tempFile(t), options);
  await db.exec(SCHEMA);
  const prisma = new PrismaClient({ adapter: new PrismaThreadlite(db) });
  t.after(async () => {
    await prisma.$disconnect();
    await db.close();
  });
  return { db, prisma };
}

test('CRUD, relations and every scalar type round-trip through Prisma Client', async (t) => {
  const { prisma } = await prismaTemp(t);
  const when = new Date('2024-02-29T12:34:56.789Z');
  const ann = await prisma.user.create({
    data: {
      email: 'ann@example.com',
      name: 'Ann',
      big: 9007199254740993n, // 2^53 + 1: not a safe double
      score: 2.5,
      active: false,
      avatar: Buffer.from([0, 1, 2, 255]),
      createdAt: when,
      posts: { create: [{ title: 'first' }, { title: 'second' }] },
    },
    include: { posts: { orderBy: { id: 'asc' } } },
  });
  assert.equal(ann.id, 1);
  assert.equal(ann.big, 9007199254740993n);
  assert.equal(ann.score, 2.5);
  assert.equal(ann.active, false);
  assert.deepEqual([...ann.avatar], [0, 1, 2, 255]);
  assert.equal(ann.createdAt.toISOString(), when.toISOString());
  assert.deepEqual(
    ann.posts.map((p) => p.title),
    ['first', 'second'],
  );

  await prisma.user.createMany({ data: [{ email: 'bob@example.com' }, { email: 'cy@example.com', name: null }] });
  const defaults = await prisma.user.findUniqueOrThrow({ where: { email: 'bob@example.com' } });
  assert.equal(defaults.big, 0n);
  assert.equal(defaults.active, true);
  assert.equal(defaults.avatar, null);
  assert.ok(Math.abs(defaults.createdAt.getTime() - Date.now()) < 60_000, 'CURRENT_TIMESTAMP read back as a Date');

  const withPosts = await prisma.user.findMany({ where: { posts: { some: {} } }, select: { email: true, _count: { select: { posts: true } } } });
  assert.deepEqual(withPosts, [{ email: 'ann@example.com', _count: { posts: 2 } }]);

  const updated = await prisma.user.update({ where: { email: 'bob@example.com' }, data: { score: { increment: 1.25 }, name: 'Bob' } });
  assert.equal(updated.score, 1.25);
  assert.equal((await prisma.user.updateMany({ where: { name: null }, data: { active: false } })).count, 1);
  const stats = await prisma.user.aggregate({ _sum: { score: true }, _count: true });
  assert.deepEqual({ sum: stats._sum.score, count: stats._count }, { sum: 3.75, count: 3 });
  await prisma.user.delete({ where: { email: 'cy@example.com' } });
  assert.equal(await prisma.user.count(), 2);
});

test('constraint violations become Prisma error codes; the pool goes on', async (t) => {
  const { prisma } = await prismaTemp(t);
  await prisma.user.create({ data: { email: 'ann@example.com' } });
  await assert.rejects(prisma.user.create({ data: { email: 'ann@example.com' } }), (err) => {
    assert.ok(err instanceof Prisma.PrismaClientKnownRequestError);
    assert.equal(err.code, 'P2002');
    return true;
  });
  await assert.rejects(prisma.post.create({ data: { title: 'orphan', authorId: 999 } }), (err) => err.code === 'P2003');
  assert.equal(await prisma.user.count(), 1);
});

test('interactive transactions hold the writer, commit, and roll back on throw', async (t) => {
  const { db, prisma } = await prismaTemp(t);
  const result = await prisma.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { email: 'ann@example.com' } });
    await tx.post.create({ data: { title: 'in tx', authorId: user.id } });
    // Outside the transaction, readers still see the last commit.
    assert.equal(await db.get('SELECT count(*) AS n FROM "User"').then((r) => r.n), 0);
    assert.equal(db.stats().workers.find((w) => w.role === 'writer').leased, true);
    return tx.post.count();
  });
  assert.equal(result, 1);
  assert.equal(db.stats().workers.find((w) => w.role === 'writer').leased, false);

  await assert.rejects(
    prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { email: 'bob@example.com' } });
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.deepEqual(
    (await prisma.user.findMany({ select: { email: true } })).map((u) => u.email),
    ['ann@example.com'],
  );
  // A failing statement inside rolls the whole transaction back.
  await assert.rejects(
    prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { email: 'cy@example.com' } });
      await tx.user.create({ data: { email: 'ann@example.com' } });
    }),
    (err) => err.code === 'P2002',
  );
  assert.equal(await prisma.user.count(), 1);
  // Batch transactions too.
  const [a, b] = await prisma.$transaction([prisma.user.create({ data: { email: 'd@x' } }), prisma.user.count()]);
  assert.equal(a.email, 'd@x');
  assert.equal(b, 2);
  assert.equal(db.stats().workers.find((w) => w.role === 'writer').leased, false);
});

test('reads run on readers, writes on the writer; raw queries bind their values', async (t) => {
  // Inline reads off: a cheap read may be admitted to the main thread after one cheap run.
  const { prisma } = await prismaTemp(t, { readers: 1, inlineReads: 0 });
  const seen = [];
  const handlers = { asyncEnd: (trace) => seen.push([trace.op, trace.worker, trace.sql]) };
  const channel = diagnosticsChannel.tracingChannel('threadlite:query');
  channel.subscribe(handlers);
  t.after(() => channel.unsubscribe(handlers));
  await prisma.user.create({ data: { email: 'ann@example.com' } });
  for (let i = 0; i < 3; i++) await prisma.user.findMany();
  const reads = seen.filter(([op, , sql]) => op === 'all' && sql.startsWith('SELECT'));
  assert.equal(reads.at(-1)[1], 'reader:1');
  assert.ok(seen.some(([, worker, sql]) => worker === 'writer' && sql.startsWith('INSERT')));

  const hostile = "x'); DROP TABLE \"User\"; --";
  assert.equal(await prisma.$executeRaw`INSERT INTO "User" ("email") VALUES (${hostile})`, 1);
  const rows = await prisma.$queryRaw`SELECT email, 40 + ${2} AS n FROM "User" WHERE email = ${hostile}`;
  assert.deepEqual(rows, [{ email: hostile, n: 42 }]);
  assert.equal(await prisma.user.count(), 2);
});

test('the adapter refuses what it cannot do, clearly', async (t) => {
  assert.equal(require('threadlite/prisma').PrismaThreadlite, PrismaThreadlite, 'import and require give one class');
  assert.throws(() => new PrismaThreadlite('app.db'), TypeError);
  const db = await open(tempFile(t));
  t.after(() => db.close());
  assert.throws(() => new PrismaThreadlite(db, { timestampFormat: 'rfc2822' }), /timestampFormat/);
  const adapter = await new PrismaThreadlite(db).connect();
  await assert.rejects(adapter.startTransaction('READ COMMITTED'), (err) => err.cause?.kind === 'InvalidIsolationLevel');
});
