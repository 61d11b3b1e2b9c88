/**
 * Where the worker entry file (`dist/worker/main.js`) is, found at run time
 * without trusting `__dirname` alone. A bundler that inlines threadlite into a
 * server bundle (Next.js, with Turbopack or webpack) rewrites `__dirname` to a
 * path that does not exist, while the worker file itself stays where npm put
 * it. So {@link defaultWorkerPath} looks beside this module first, then asks
 * Node to resolve the installed package (`threadlite/worker`) from the
 * application's directory, and otherwise fails with an error that names the fix.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** The package's own name and the export of its worker file. */
const WORKER_EXPORT = 'threadlite/worker';

let found: string | undefined;

/**
 * The worker entry of this installation of threadlite: `worker/main.js` beside
 * this module when it exists (the package as npm installed it), else
 * `threadlite/worker` resolved from the working directory or the main script's
 * directory (the package a bundled copy of threadlite came from). The answer
 * is cached. Throws an `Error` naming `serverExternalPackages` and `workerPath`
 * when neither exists. @internal
 */
export function defaultWorkerPath(): string {
  found ??= findWorker();
  return found;
}

function findWorker(): string {
  const beside = resolve(__dirname, 'worker', 'main.js');
  if (existsSync(beside)) return beside;
  const tried = [beside];
  const mainScript = process.argv[1];
  const bases = new Set([process.cwd(), ...(mainScript ? [dirname(resolve(mainScript))] : [])]);
  for (const base of bases) {
    try {
      // A require made at run time from a computed path: bundlers leave it alone.
      const path = createRequire(join(base, 'noop.js')).resolve(WORKER_EXPORT);
      if (existsSync(path)) return path;
    } catch {
      // not installed under this directory
    }
    tried.push(`${WORKER_EXPORT} from ${base}`);
  }
  const error = new Error(
    `threadlite cannot find its worker file (tried ${tried.join('; ')}). A bundler has probably inlined ` +
      'threadlite into a server bundle, so __dirname no longer points into node_modules/threadlite. ' +
      "Next.js: add serverExternalPackages: ['threadlite'] to next.config. Other bundlers: keep threadlite " +
      'external, or pass the workerPath option (the file is node_modules/threadlite/dist/worker/main.js).',
  );
  (error as Error & { code: string }).code = 'ERR_THREADLITE_WORKER_NOT_FOUND';
  throw error;
}

/**
 * Where the native driver the workers load is. Not called by threadlite: it is
 * here so that file tracers that follow `require.resolve` statically (Next.js's
 * `output: 'standalone'`, which traces with @vercel/nft) copy better-sqlite3,
 * which only the worker files require, into the traced output. @internal
 */
export function nativeDriverPath(): string {
  return require.resolve('better-sqlite3');
}

/**
 * The root directory of the installed package whose worker file
 * {@link defaultWorkerPath} finds (`<root>/dist/worker/main.js`), or undefined
 * when there is none. For the other files shipped beside `dist/` (the native
 * library in `prebuilds/`), which a bundled copy cannot find through
 * `__dirname` either. @internal
 */
export function installedPackageRoot(): string | undefined {
  try {
    return resolve(dirname(defaultWorkerPath()), '..', '..');
  } catch {
    return undefined;
  }
}
