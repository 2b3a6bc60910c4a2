#!/usr/bin/env bash
# Build and run the eviction session scenario against one tree, until the
# general session harness (memfix verify) takes it over.
#
#   harness/session-eviction.sh TREE [OUT_DIR]
#
# TREE     a tree holding memory_disk_io.hpp and the SWIG files (patched or not)
# OUT_DIR  where the glue, objects and binary go (default: a temporary folder)
#
# Builds with ASan+UBSan like harness/build.sh (C++14, -pedantic-errors),
# prints the scenario's PASS/FAIL line, exits with its status.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 TREE [OUT_DIR]" >&2
    exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TREE=$(cd "$1" && pwd)
OUT=${2:-$(mktemp -d /tmp/memfix-session-eviction-XXXXXX)}
mkdir -p "$OUT"
# the glue, as memfix verify makes it
(cd "$HERE/.." && node --import tsx -e '
import("./src/verify/run.ts").then(async ({ glueOf }) => {
  const { readFileSync, readdirSync, statSync, writeFileSync } = await import("node:fs");
  const { join, relative } = await import("node:path");
  const [dir, out] = process.argv.slice(1);
  const tree = new Map();
  const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else tree.set(relative(dir, p), readFileSync(p, "utf8")); } };
  walk(dir);
  const g = glueOf(tree);
  writeFileSync(join(out, "glue.cpp"), g.source);
  writeFileSync(join(out, "header-dir"), g.headerDir);
});' "$TREE" "$OUT")
HEADER_DIR="$TREE/$(cat "$OUT/header-dir")"
read -r -a LT_CFLAGS <<< "$(pkg-config --cflags libtorrent-rasterbar)"
read -r -a LT_LIBS <<< "$(pkg-config --libs libtorrent-rasterbar)"
FLAGS=(-std=c++14 -pedantic-errors -g -fno-omit-frame-pointer -fsanitize=address,undefined)
g++ "${FLAGS[@]}" -O0 "${LT_CFLAGS[@]}" -I "$HEADER_DIR" -I "$HERE/shim" -c "$OUT/glue.cpp" -o "$OUT/glue.o" &
g++ "${FLAGS[@]}" -O1 "${LT_CFLAGS[@]}" -c "$HERE/session-eviction.cpp" -o "$OUT/session-eviction.o"
wait $!
g++ "${FLAGS[@]}" "$OUT/glue.o" "$OUT/session-eviction.o" "${LT_LIBS[@]}" -pthread -o "$OUT/session-eviction"
"$OUT/session-eviction" eviction-stream 2> "$OUT/stderr.txt"
