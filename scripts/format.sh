#!/usr/bin/env bash
# Formats the C sources with the repository's .clang-format, or checks them.
#
#   scripts/format.sh            rewrites every *.c and *.h that git tracks
#   scripts/format.sh --check    changes nothing: a line per file (`ok - F` or
#                                `not ok - F` with the first lines that would
#                                change), then `N passed, N failed`
#   scripts/format.sh [--check] FILE...   only these files
#
# The layout is Debian 12's clang-format (version 14, package clang-format,
# installed by scripts/deps.sh test); another version may lay out a few
# lines differently.  Run it before a commit; the test command runs --check.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
case ${1:-} in
-h | --help)
	sed -n '2,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
-*)
	echo "usage: $0 [--check] [FILE...]" >&2
	exit 2
	;;
esac

if ! command -v clang-format >/dev/null; then
	echo "clang-format is missing: scripts/deps.sh test installs it" >&2
	[ "$check" -eq 1 ] && echo "0 passed, 1 failed"
	exit 1
fi

if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(git ls-files -- '*.c' '*.h')
	if [ "${#files[@]}" -eq 0 ]; then
		echo "no C files found (not a git checkout?)" >&2
		[ "$check" -eq 1 ] && echo "0 passed, 1 failed"
		exit 1
	fi
fi

if [ "$check" -eq 0 ]; then
	exec clang-format -i --style=file "${files[@]}"
fi

passed=0 failed=0
for f in "${files[@]}"; do
	if clang-format --style=file "$f" | cmp -s - "$f"; then
		echo "ok - $f"
		passed=$((passed + 1))
	else
		echo "not ok - $f (scripts/format.sh $f lays it out)"
		clang-format --style=file "$f" | diff -u "$f" - | sed -n '3,20p' | sed 's/^/    | /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
