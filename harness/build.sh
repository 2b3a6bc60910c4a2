#!/usr/bin/env bash
# Build the memfix sanitizer scenario harness against one glue.cpp.
#
#   harness/build.sh GLUE_CPP HEADER_DIR OUT_BIN
#
# GLUE_CPP    the generated glue translation unit (#include "memory_disk_io.hpp",
#             the %{ %} bodies of the .i files, the setters as free functions)
# HEADER_DIR  the folder that holds memory_disk_io.hpp (put on -I for the glue only)
# OUT_BIN     the harness binary to write: every harness/*.cpp (main.cpp and
#             one file per fix) linked with the glue
#
# Environment (all optional):
#   SANITIZE     sanitizers, default "address,undefined" (use "thread" for the
#                ThreadSanitizer binary)
#   STD          the C++ standard, default c++14 (upstream's build); always
#                with -pedantic-errors, so a C++17 construct is an error
#   CXX          compiler, default g++
#   CACHE_DIR    keep compiled objects here, named by a hash of what they are
#                compiled from (the preprocessed source, the flags, the
#                compiler): the harness is compiled once per sanitizer and
#                standard, a glue once per content. Safe when several builds
#                share the folder (unique temporary names, atomic renames), and
#                an object two builds need at once is compiled by one of them
#                while the other waits (a lock file beside it while it is made).
#   PREFIX_MAP   OLD=NEW for -ffile-prefix-map (e.g. the tree's folder=), so
#                objects do not depend on where the tree was written
#   GLUE_OPT     optimisation of the glue, default -O0: it is compiled for
#                every tree (and every mutant), and -O0 halves that; the
#                sanitizers catch as much
#   HARNESS_OPT  optimisation of the harness, default -O0 (-O1 takes 2.5x the
#                CPU; every scenario fails and passes as it does at -O1)
#   HARNESS_OBJ  the harness object an earlier build of this process printed
#                (same sanitizer and standard, this harness/): linked as it is,
#                without preprocessing the harness again to find it in the
#                cache (a mutant's build; ~0.7 s of CPU each). Ignored when
#                the file is gone.
#   GLUE_FALLBACK  a second glue (GLUE_CPP without the setters SWIG drops),
#                compiled and linked when GLUE_CPP does not compile: the build
#                then prints "fallback: " and GLUE_CPP's first error line
#
# Prints the path of the harness object it linked (for HARNESS_OBJ), last.
#
# The harness is every harness/*.cpp (main.cpp and one file per fix), compiled
# as ONE translation unit that includes them all, in name order: libtorrent's
# and Boost's headers are parsed once, and each template instantiated once
# (one object per file took 6x the CPU, with a precompiled header 3x; see
# harness/README.md). It compiles while the glue does; then both are linked.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 GLUE_CPP HEADER_DIR OUT_BIN" >&2
    exit 2
fi
GLUE_CPP=$1
HEADER_DIR=$2
OUT_BIN=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CXX=${CXX:-g++}
SANITIZE=${SANITIZE:-address,undefined}
STD=${STD:-c++14}

read -r -a LT_CFLAGS <<< "$(pkg-config --cflags libtorrent-rasterbar)"
read -r -a LT_LIBS <<< "$(pkg-config --libs libtorrent-rasterbar)"
# -g1: line tables, all a sanitizer's report needs to name function, file and
# line; full debug information (-g) costs 12-14% more to compile
FLAGS=("-std=$STD" -pedantic-errors -g1 -fno-omit-frame-pointer "-fsanitize=$SANITIZE")
# boost.asio's atomic_thread_fence makes g++ 12 warn under TSan; only noise
case $SANITIZE in *thread*) FLAGS+=(-Wno-tsan) ;; esac
GLUE_FLAGS=("${FLAGS[@]}" "${GLUE_OPT:--O0}" "${LT_CFLAGS[@]}" -I "$HEADER_DIR" -I "$HERE/shim")
# only the glue includes the tree's files: the harness objects are the same
# for every tree, wherever it was written
if [ -n "${PREFIX_MAP:-}" ]; then GLUE_FLAGS+=("-ffile-prefix-map=$PREFIX_MAP"); fi
HARNESS_FLAGS=("${FLAGS[@]}" "${HARNESS_OPT:--O0}" "${LT_CFLAGS[@]}")

work=$(mktemp -d "$OUT_BIN.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

digest() { sha256sum | cut -c1-24; }

# compile SRC with FLAGS... into OBJ, or, with CACHE_DIR, reuse the object
# named NAME-hash of what it is made of (the compiler, the flags, TEXT_HASH:
# the hash of its text, and its preprocessed text). Prints the object's path.
compile() {
    local src=$1 obj=$2 name=$3 text_hash=$4; shift 4
    if [ -z "${CACHE_DIR:-}" ]; then compile_to "$src" "$obj" "$@" && echo "$obj"; return; fi
    # the flags as PREFIX_MAP maps the tree's folder (as in the object and the
    # preprocessed text), so the same tree written elsewhere finds the object
    local keyflags=("$@") key
    if [ -n "${PREFIX_MAP:-}" ]; then keyflags=("${keyflags[@]//"${PREFIX_MAP%%=*}"/"${PREFIX_MAP#*=}"}"); fi
    if ! key=$({ "$CXX" --version; printf '%s\n' "${keyflags[@]}" "$text_hash"; "$CXX" "$@" -E -P "$src" 2>/dev/null; } | digest); then
        # it does not preprocess (an #error, a missing header): what it did print
        # would name the object of another text. Compiled as it is, to say why.
        compile_to "$src" "$obj" "$@" && echo "$obj"
        return
    fi
    obj=$CACHE_DIR/$name-$key.o
    mkdir -p "$CACHE_DIR"
    # one build at a time makes an object: another that needs it at once (verify
    # --compare builds both trees together, each with the harness) waits for the
    # lock, then finds it made. Whoever holds the lock removes its file when done
    # (a build still waiting holds it open, and sees the object once it has it).
    local lock status=0
    exec {lock}>>"$obj.lock"
    # (without util-linux's flock both builds compile it: slower, never wrong)
    if command -v flock >/dev/null; then flock "$lock"; fi
    if [ -f "$obj" ]; then touch "$obj" 2>/dev/null || true; else compile_to "$src" "$obj" "$@" || status=1; fi
    rm -f "$obj.lock"
    exec {lock}>&-
    if [ $status -eq 0 ]; then echo "$obj"; fi
    return $status
}

# compile SRC with FLAGS... into OBJ (a temporary name, then renamed into place)
compile_to() {
    local src=$1 obj=$2 tmp; shift 2
    tmp=$(mktemp "$obj.XXXXXX.tmp")
    if ! "$CXX" "$@" -c "$src" -o "$tmp"; then rm -f "$tmp"; return 1; fi
    mv -f "$tmp" "$obj"
}

# the glue's object; with GLUE_FALLBACK, the fallback's when GLUE_CPP does not
# compile (its first error line in $work/fallback). A compiler that failed
# without an error (killed) fails the build: that says nothing of the glue.
glue() {
    if [ -z "${GLUE_FALLBACK:-}" ]; then compile "$GLUE_CPP" "$work/glue.o" glue "$(digest < "$GLUE_CPP")" "${GLUE_FLAGS[@]}"; return; fi
    if compile "$GLUE_CPP" "$work/glue.o" glue "$(digest < "$GLUE_CPP")" "${GLUE_FLAGS[@]}" 2> "$work/glue.err"; then return; fi
    if ! grep -m1 -E '\berror\b' "$work/glue.err" > "$work/fallback"; then cat "$work/glue.err" >&2; return 1; fi
    compile "$GLUE_FALLBACK" "$work/glue-fallback.o" glue "$(digest < "$GLUE_FALLBACK")" "${GLUE_FLAGS[@]}"
}

# the harness as one translation unit (its files' text, not their folder, goes
# into the object's name: another checkout shares the object)
for src in "$HERE"/*.cpp; do printf '#include "%s"\n' "$src"; done > "$work/harness.cpp"

glue > "$work/glue.out" &
glue_pid=$!
if [ -n "${HARNESS_OBJ:-}" ] && [ -f "$HARNESS_OBJ" ]; then
    touch "$HARNESS_OBJ" 2>/dev/null || true
    echo "$HARNESS_OBJ" > "$work/harness.out" &
else
    compile "$work/harness.cpp" "$work/harness.o" harness "$(cat "$HERE"/*.cpp "$HERE"/*.hpp | digest)" "${HARNESS_FLAGS[@]}" > "$work/harness.out" &
fi
harness_pid=$!
status=0
wait "$glue_pid" || status=1
wait "$harness_pid" || status=1
[ $status -eq 0 ] || exit $status

# linked in the work folder (beside OUT_BIN), then renamed into place
"$CXX" "${FLAGS[@]}" "$(cat "$work/harness.out")" "$(cat "$work/glue.out")" -o "$work/bin" "${LT_LIBS[@]}" -pthread
mv -f "$work/bin" "$OUT_BIN"
if [ -f "$work/fallback" ]; then echo "fallback: $(cat "$work/fallback")"; fi
# (an object outside the cache goes with the work folder: nothing to reuse)
if [ -n "${CACHE_DIR:-}" ]; then cat "$work/harness.out"; fi

# keep the cache bounded: the 64 most recently used objects, and whatever
# another build may be about to link (used in the last 10 minutes)
if [ -n "${CACHE_DIR:-}" ]; then
    # shellcheck disable=SC2012
    ls -t "$CACHE_DIR"/*.o 2>/dev/null | tail -n +65 | while read -r old; do
        if [ -z "$(find "$old" -mmin -10 2>/dev/null)" ]; then rm -f "$old"; fi
    done
fi
