#!/usr/bin/env bash
# Build the memfix sanitizer scenario harness against one glue.cpp.
#
#   harness/build.sh GLUE_CPP HEADER_DIR OUT_BIN [SESSION_BIN]
#
# GLUE_CPP    the generated glue translation unit (#include "memory_disk_io.hpp",
#             the %{ %} bodies of the .i files, the setters as free functions)
# HEADER_DIR  the folder that holds memory_disk_io.hpp (put on -I for the glue only)
# OUT_BIN     the harness binary to write (scenarios.cpp + the glue)
# SESSION_BIN optional: also the real-session binary (session.cpp + the same
#             glue object)
#
# Environment (all optional):
#   SANITIZE     sanitizers, default "address,undefined" (use "thread" for the
#                ThreadSanitizer binary)
#   STD          the C++ standard, default c++14 (upstream's build); always
#                with -pedantic-errors, so a C++17 construct is an error
#   CXX          compiler, default g++
#   CACHE_DIR    keep compiled objects here, named by a hash of what they are
#                compiled from (the preprocessed source, the flags, the
#                compiler): scenarios.cpp is compiled once per sanitizer and
#                standard, a glue once per content. Safe when several builds
#                share the folder (unique temporary names, atomic renames).
#   PREFIX_MAP   OLD=NEW for -ffile-prefix-map (e.g. the tree's folder=), so
#                objects do not depend on where the tree was written
#   GLUE_OPT     optimisation of the glue, default -O0: it is compiled for
#                every tree (and every mutant), and -O0 halves that; the
#                sanitizers catch as much (scenarios.cpp, compiled once, -O1)
#
# The translation units are compiled in parallel, then linked.
set -euo pipefail

if [ $# -ne 3 ] && [ $# -ne 4 ]; then
    echo "usage: $0 GLUE_CPP HEADER_DIR OUT_BIN [SESSION_BIN]" >&2
    exit 2
fi
GLUE_CPP=$1
HEADER_DIR=$2
OUT_BIN=$3
SESSION_BIN=${4:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CXX=${CXX:-g++}
SANITIZE=${SANITIZE:-address,undefined}
STD=${STD:-c++14}

read -r -a LT_CFLAGS <<< "$(pkg-config --cflags libtorrent-rasterbar)"
read -r -a LT_LIBS <<< "$(pkg-config --libs libtorrent-rasterbar)"
FLAGS=("-std=$STD" -pedantic-errors -g -fno-omit-frame-pointer "-fsanitize=$SANITIZE")
# boost.asio's atomic_thread_fence makes g++ 12 warn under TSan; only noise
case $SANITIZE in *thread*) FLAGS+=(-Wno-tsan) ;; esac
GLUE_FLAGS=("${FLAGS[@]}" "${GLUE_OPT:--O0}" "${LT_CFLAGS[@]}" -I "$HEADER_DIR" -I "$HERE/shim")
# only the glue includes the tree's files: scenarios.cpp and session.cpp keep one
# object per sanitizer and standard, wherever the tree was written
if [ -n "${PREFIX_MAP:-}" ]; then GLUE_FLAGS+=("-ffile-prefix-map=$PREFIX_MAP"); fi
HARNESS_FLAGS=("${FLAGS[@]}" -O1 "${LT_CFLAGS[@]}")

# compile SRC with FLAGS... into OBJ, or, with CACHE_DIR, reuse the object
# named by what it is made of. Prints the object's path.
compile() {
    local src=$1 default_obj=$2; shift 2
    if [ -z "${CACHE_DIR:-}" ]; then
        "$CXX" "$@" -c "$src" -o "$default_obj"
        echo "$default_obj"
        return
    fi
    local key obj tmp
    key=$({ "$CXX" --version; printf '%s\n' "$@"; cat "$src"; "$CXX" "$@" -E -P "$src"; } | sha256sum | cut -c1-24)
    obj=$CACHE_DIR/$(basename "$src" .cpp)-$key.o
    if [ -f "$obj" ]; then
        touch "$obj" 2>/dev/null || true
    else
        mkdir -p "$CACHE_DIR"
        tmp=$(mktemp "$obj.XXXXXX.tmp")
        if ! "$CXX" "$@" -c "$src" -o "$tmp"; then rm -f "$tmp"; return 1; fi
        mv -f "$tmp" "$obj"
    fi
    echo "$obj"
}

glue_out=$(mktemp "$OUT_BIN.glue.XXXXXX")
harness_out=$(mktemp "$OUT_BIN.harness.XXXXXX")
session_out=$(mktemp "$OUT_BIN.session.XXXXXX")
trap 'rm -f "$glue_out" "$harness_out" "$session_out"' EXIT
compile "$GLUE_CPP" "$OUT_BIN.glue.o" "${GLUE_FLAGS[@]}" > "$glue_out" &
glue_pid=$!
compile "$HERE/scenarios.cpp" "$OUT_BIN.scenarios.o" "${HARNESS_FLAGS[@]}" > "$harness_out" &
harness_pid=$!
status=0
if [ -n "$SESSION_BIN" ]; then
    compile "$HERE/session.cpp" "$SESSION_BIN.session.o" "${HARNESS_FLAGS[@]}" > "$session_out" &
    session_pid=$!
    wait "$session_pid" || status=1
fi
wait "$glue_pid" || status=1
wait "$harness_pid" || status=1
[ $status -eq 0 ] || exit $status

"$CXX" "${FLAGS[@]}" "$(cat "$harness_out")" "$(cat "$glue_out")" -o "$OUT_BIN" "${LT_LIBS[@]}" -pthread
if [ -n "$SESSION_BIN" ]; then
    "$CXX" "${FLAGS[@]}" "$(cat "$session_out")" "$(cat "$glue_out")" -o "$SESSION_BIN" "${LT_LIBS[@]}" -pthread
fi

# keep the cache bounded: the 64 most recently used objects, and whatever
# another build may be about to link (used in the last 10 minutes)
if [ -n "${CACHE_DIR:-}" ]; then
    # shellcheck disable=SC2012
    ls -t "$CACHE_DIR"/*.o 2>/dev/null | tail -n +65 | while read -r old; do
        if [ -z "$(find "$old" -mmin -10 2>/dev/null)" ]; then rm -f "$old"; fi
    done
fi
