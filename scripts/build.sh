#!/usr/bin/env bash
# Builds Gatehouse out of tree in build/ (or $GATEHOUSE_BUILD_DIR).
#
#   scripts/build.sh [CONFIGURE-ARGS...]     e.g. scripts/build.sh --enable-sanitizers
#   GATEHOUSE_BUILD_DIR=build-asan scripts/build.sh --enable-sanitizers
#
# GATEHOUSE_BUILD_DIR (default build) is a folder relative to the source
# tree or an absolute path; deploy/stack.py and the test tiers read the same
# variable, so several builds (plain, sanitizers) live side by side.
#
# Runs ./autogen.sh when configure is missing or older than configure.ac or
# Makefile.am, configures in build/ when it is not configured yet, when
# configure changed, or when CONFIGURE-ARGS differ from the last run's, then
# `make -j2`. Output goes to build/*.log; compiler warnings and errors are
# shown, and the end of the failing step's log on failure.
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${GATEHOUSE_BUILD_DIR:-build}
case $BUILD in
/*) ;;
*) BUILD=$SRC/$BUILD ;;
esac
mkdir -p "$BUILD"

fail() { # fail LOG MESSAGE
	echo "build: $2 (log: ${1#"$SRC"/})" >&2
	tail -n 60 "$1" >&2
	exit 1
}

newer() { # newer A B: true when A is newer than B or B is missing
	[ ! -e "$2" ] || [ "$1" -nt "$2" ]
}

if newer configure.ac configure || newer Makefile.am configure ||
	newer Makefile.am Makefile.in; then
	echo "build: ./autogen.sh"
	./autogen.sh >"$BUILD/autogen.log" 2>&1 || fail "$BUILD/autogen.log" "autogen.sh failed"
fi

args_file=$BUILD/.configure-args
want_args=$(printf '%q ' "$@")
have_args=$(cat "$args_file" 2>/dev/null || true)
if [ ! -f "$BUILD/Makefile" ] || newer configure "$BUILD/config.status" ||
	[ "$want_args" != "$have_args" ]; then
	echo "build: configure $*"
	(cd "$BUILD" && "$SRC/configure" "$@") >"$BUILD/configure.log" 2>&1 ||
		fail "$BUILD/configure.log" "configure failed (details: ${BUILD#"$SRC"/}/config.log)"
	printf '%s' "$want_args" >"$args_file"
fi

echo "build: make -j2"
status=0
make -C "$BUILD" -j2 >"$BUILD/make.log" 2>&1 || status=$?
grep -E '(warning|error):' "$BUILD/make.log" >&2 || true
[ "$status" -eq 0 ] || fail "$BUILD/make.log" "make failed"
echo "build: ok"
