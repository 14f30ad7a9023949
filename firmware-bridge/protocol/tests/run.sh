#!/bin/sh
# Builds and runs the protocol's host tests with sanitizers. Exit code is nonzero on any failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${TMPDIR:-/tmp}/reflex-test-protocol-$$
trap 'rm -f "$out"' EXIT
cc -std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined -fno-sanitize-recover=all -g \
    -I"$here/../include" "$here"/*.c "$here"/../*.c -lm -o "$out"
"$out" "$here/golden_frames.txt"
