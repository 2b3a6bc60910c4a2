#!/usr/bin/env bash
# Build the memfix sanitizer scenario harness against one glue.cpp.
#
#   harness/build.sh GLUE_CPP HEADER_DIR OUT_BIN
#
# GLUE_CPP    the generated glue translation unit (#include "memory_disk_io.hpp",
#             the %{ %} bodies of the .i files, set_memory_disk_io as a free function)
# HEADER_DIR  the folder that holds memory_disk_io.hpp (put on -I for the glue only)
# OUT_BIN     the harness binary to write
#
# Environment (all optional):
#   SANITIZE     sanitizers, default "address,undefined" (use "thread" for the
#                TSan binary; only the "stress" scenario is meant for it)
#   CXX          compiler, default g++
#   HARNESS_OBJ  where to keep the compiled scenarios.cpp; it does not depend
#                on the glue, so it is reused while newer than scenarios.cpp
#                and built with the same SANITIZE (default: OUT_BIN.scenarios.o)
#
# The two translation units are compiled in parallel, then linked.
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
HARNESS_OBJ=${HARNESS_OBJ:-$OUT_BIN.scenarios.o}
GLUE_OBJ=$OUT_BIN.glue.o

read -r -a LT_CFLAGS <<< "$(pkg-config --cflags libtorrent-rasterbar)"
read -r -a LT_LIBS <<< "$(pkg-config --libs libtorrent-rasterbar)"
FLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer "-fsanitize=$SANITIZE")
# boost.asio's atomic_thread_fence makes g++ 12 warn under TSan; only noise
case $SANITIZE in *thread*) FLAGS+=(-Wno-tsan) ;; esac

# the glue: the folder of memory_disk_io.hpp, then the shim folder, which only
# supplies headers that the .i files include but libtorrent 2.0 lacks
"$CXX" "${FLAGS[@]}" "${LT_CFLAGS[@]}" -I "$HEADER_DIR" -I "$HERE/shim" \
    -c "$GLUE_CPP" -o "$GLUE_OBJ" &
glue_pid=$!

stamp=$HARNESS_OBJ.sanitize
harness_pid=
if [ -f "$HARNESS_OBJ" ] && [ "$HARNESS_OBJ" -nt "$HERE/scenarios.cpp" ] \
    && [ "$(cat "$stamp" 2>/dev/null)" = "$SANITIZE" ]; then
    :
else
    ( "$CXX" "${FLAGS[@]}" "${LT_CFLAGS[@]}" -c "$HERE/scenarios.cpp" -o "$HARNESS_OBJ.tmp" \
        && mv "$HARNESS_OBJ.tmp" "$HARNESS_OBJ" && printf '%s' "$SANITIZE" > "$stamp" ) &
    harness_pid=$!
fi

status=0
wait "$glue_pid" || status=1
if [ -n "$harness_pid" ]; then wait "$harness_pid" || status=1; fi
[ $status -eq 0 ] || exit $status

"$CXX" "${FLAGS[@]}" "$HARNESS_OBJ" "$GLUE_OBJ" -o "$OUT_BIN" "${LT_LIBS[@]}" -pthread
