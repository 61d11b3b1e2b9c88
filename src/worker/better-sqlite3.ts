/**
 * Opening a better-sqlite3 connection and running the user's `setup` module
 * on it: shared by the workers and the main thread's inline reader, so both
 * load the driver and the module the same way.
 */
import { createRequire } from 'node:module';
import type { SqliteDatabase } from './sqlite-api';

/**
 * Opens a better-sqlite3 connection (throws what better-sqlite3 throws).
 * `requireFrom` is the file to resolve better-sqlite3 from, by default this
 * one (a bundled copy of the main module may have to name the installed package). @internal
 */
export function openBetterSqlite3(
  file: string | Buffer,
  options: { readonly: boolean; fileMustExist: boolean; timeout: number },
  requireFrom: string = __filename,
): SqliteDatabase {
  // better-sqlite3 is CommonJS; createRequire keeps this file loadable from the ESM and CJS builds alike.
  const require = createRequire(requireFrom);
  const Database = require('better-sqlite3') as new (file: string | Buffer, options: object) => SqliteDatabase;
  return new Database(file, options);
}

/**
 * Imports the `setup` module and calls its default export (or the export
 * named `setup`) with the connection and its role. @internal
 */
export async function runSetup(specifier: string, db: SqliteDatabase, role: 'writer' | 'reader' | 'inline'): Promise<void> {
  const mod = (await import(specifier)) as { default?: unknown; setup?: unknown };
  const fn = typeof mod.default === 'function' ? mod.default : mod.setup;
  if (typeof fn !== 'function') {
    throw new TypeError(`The setup module ${specifier} must export a function (default or named "setup")`);
  }
  await fn(db, { role });
}
