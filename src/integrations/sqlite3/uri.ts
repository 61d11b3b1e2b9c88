/**
 * SQLite's `file:` URI filenames (with `OPEN_URI`), read as SQLite reads them:
 * the path, and the `mode` (`ro`, `rw`, `rwc`, `memory`) and `cache`
 * (`shared`, `private`) query parameters. Other parameters are ignored.
 */
import { OPEN_FLAGS } from './constants';
import { sqliteError } from './errors';

/** What a filename and `mode` flags open. @internal */
export interface Target {
  /** The path (or `:memory:` / `''`). */
  file: string;
  /** The open flags, narrowed by the URI's `mode`. */
  mode: number;
  /** For an in-memory database shared by name (`mode=memory` with a shared cache): its name. */
  sharedMemory?: string;
}

/** Reads `file:` URIs when `OPEN_URI` is set; any other name is a path as given. @internal */
export function openTarget(filename: string, mode: number): Target {
  if ((mode & OPEN_FLAGS.OPEN_URI) === 0 || !filename.startsWith('file:')) return { file: filename, mode };
  let rest = filename.slice(5);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  let path = q >= 0 ? rest.slice(0, q) : rest;
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    const authority = slash < 0 ? path.slice(2) : path.slice(2, slash);
    if (authority !== '' && authority !== 'localhost') throw sqliteError('CANTOPEN', `invalid uri authority: ${authority}`);
    path = slash < 0 ? '' : path.slice(slash);
  }
  path = decodeURIComponent(path);
  let flags = mode;
  const m = query.get('mode');
  if (m === 'ro') flags = (flags & ~(OPEN_FLAGS.OPEN_READWRITE | OPEN_FLAGS.OPEN_CREATE)) | OPEN_FLAGS.OPEN_READONLY;
  else if (m === 'rw') flags &= ~OPEN_FLAGS.OPEN_CREATE;
  if (m === 'memory') {
    const cache = query.get('cache');
    const shared = cache === 'shared' || (cache !== 'private' && (mode & OPEN_FLAGS.OPEN_SHAREDCACHE) !== 0);
    return shared ? { file: ':memory:', mode: flags, sharedMemory: path } : { file: ':memory:', mode: flags };
  }
  return { file: path, mode: flags };
}
