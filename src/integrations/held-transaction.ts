/**
 * A threadlite transaction held open between two calls, for integrations
 * whose library drives transactions with begin / commit / rollback calls
 * (Kysely's driver, Prisma's adapter) rather than with a callback.
 */
import type { Database } from '../database';
import type { Transaction } from '../transaction';
import type { TransactionMode } from '../types';

/** The rejection that ends the transaction callback when the library rolls back. */
const ROLLBACK = Symbol('threadlite.rollback');

/**
 * Opens `db.transaction()` and keeps its callback pending until {@link end}:
 * the writer lease, BEGIN/COMMIT/ROLLBACK and the transaction timeout all
 * stay threadlite's, so a held transaction behaves exactly like a callback one.
 * @internal
 */
export class HeldTransaction {
  /** The transaction's handle: queries sent to it run inside the transaction. */
  readonly handle: Transaction;
  readonly #finish: (commit: boolean) => void;
  readonly #settled: Promise<void>;
  #ended = false;

  private constructor(handle: Transaction, finish: (commit: boolean) => void, settled: Promise<void>) {
    this.handle = handle;
    this.#finish = finish;
    this.#settled = settled;
  }

  /** Begins a transaction; resolves once BEGIN has run, rejects if it could not begin. */
  static async begin(db: Database, mode: TransactionMode): Promise<HeldTransaction> {
    let finish!: (commit: boolean) => void;
    const ending = new Promise<void>((resolve, reject) => {
      finish = (commit) => (commit ? resolve() : reject(ROLLBACK));
    });
    let started!: (tx: Transaction) => void;
    const opened = new Promise<Transaction>((resolve) => (started = resolve));
    const settled = db.transaction(
      async (tx) => {
        started(tx);
        await ending;
      },
      { mode },
    );
    // BEGIN failed (writer busy, pool closed, timeout): settled rejects before opened resolves.
    const handle = await Promise.race([opened, settled.then(() => undefined)]);
    if (handle === undefined) throw new Error('The transaction ended before it began');
    settled.catch(() => {}); // observed later, by end()
    return new HeldTransaction(handle, finish, settled);
  }

  /** Runs `SAVEPOINT name` inside the transaction. */
  async savepoint(name: string): Promise<void> {
    await this.handle.exec(`SAVEPOINT ${quoteSavepoint(name)}`);
  }

  /** Runs `ROLLBACK TO name`: undoes what ran since the savepoint, which stays open. */
  async rollbackTo(name: string): Promise<void> {
    await this.handle.exec(`ROLLBACK TO ${quoteSavepoint(name)}`);
  }

  /** Runs `RELEASE name`: keeps what ran since the savepoint and forgets it. */
  async release(name: string): Promise<void> {
    await this.handle.exec(`RELEASE ${quoteSavepoint(name)}`);
  }

  /**
   * Commits (or rolls back) and waits for the transaction to end. A failed
   * COMMIT rejects, the transaction rolled back. With `quiet`, never rejects.
   * A second call does nothing.
   */
  async end(commit: boolean, quiet = false): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#finish(commit);
    try {
      await this.#settled;
    } catch (err) {
      if (err !== ROLLBACK && !quiet) throw err;
    }
  }
}

/** A savepoint name as a quoted SQL identifier (the libraries pass their own names). @internal */
export function quoteSavepoint(name: string): string {
  if (name.includes('\0')) throw new RangeError('A savepoint name cannot contain NUL');
  return `"${name.replace(/"/g, '""')}"`;
}
