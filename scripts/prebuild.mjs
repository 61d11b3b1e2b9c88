// Builds the native library with node-gyp and copies it to
// prebuilds/<platform>-<arch>/threadlite.node, the binary the package ships
// (run on each platform a release supports; linux-x64 is committed).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
execFileSync(process.execPath, [join(root, 'scripts', 'install-native.mjs'), '--force'], { stdio: 'inherit' });
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
copyFileSync(join(root, 'build', 'Release', 'threadlite.node'), join(dir, 'threadlite.node'));
console.log(`prebuild: ${join(dir, 'threadlite.node')}`);
