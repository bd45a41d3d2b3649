#!/usr/bin/env bash
# Runs every Gatehouse test tier and prints one total.
#
#   sudo scripts/test.sh [CONFIGURE-ARGS...]    e.g. --enable-sanitizers
#
# 1. scripts/deps.sh test  (installs missing Debian/npm packages: all of them)
# 2. scripts/build.sh  (autogen, configure and make in build/)
# 3. tiers:
#    format           scripts/format.sh --check (every C file laid out as
#                     .clang-format says; one test a file)
#    unit             make -C build check; counts summed from build/tests/unit/*.log
#    integration      python3 tests/integration/run.py (the suite on SQLite, MariaDB
#                     and PostgreSQL, each under lighttpd, Apache and nginx;
#                     the check's session cache on, its default)
#    browser          node tests/browser/login.test.mjs
#    soak             python3 tests/soak/run.py (SOAK_SECONDS, default 60)
#    asan-build       scripts/build.sh --enable-sanitizers in build-asan/
#                     (ASan + UBSan; a failure skips the two asan tiers)
#    asan-unit        make -C build-asan check
#    asan-integration the integration suite against build-asan/, under
#                     lighttpd and nginx (ASAN_INTEGRATION_ARGS), with the
#                     session cache off (GATEHOUSE_TEST_CHECK_CACHE=off) but
#                     in its own tests: the suite runs both ways
#    fuzz             tests/fuzz/run.sh (FUZZ_SECONDS per harness, default 10)
#
# The asan tiers run with SAN_ENV below: any ASan or UBSan report stops the
# program with status 66, a leak found at exit with status 23, so a unit
# test fails, and in the integration suite the line
# DATABASE/SERVER/responders_exit_clean fails (it checks every responder's exit
# status and log: deploy/stack.py, Stack.responder_problems).  Their logs go
# to artifacts/asan/ (the responders' stderr, with any report, under
# artifacts/asan/integration/).
#
# Each tier ends its output with `N passed, N failed`; a tier that crashes,
# times out or prints no such line counts as 1 failed. Logs and the browser
# screenshot go to artifacts/. The summary gives each tier's counts and
# time; the last line printed is the total, `N passed, N failed`; the exit
# status is 0 exactly when nothing failed.  Needs no standard input (CI runs
# it as root with none).  On this 2-core machine the whole run takes about
# 15 minutes (integration and asan-integration about 4.5 minutes each).
set -uo pipefail

# The whole script is one block, read before it runs: bash reads a script
# as it goes, so an edit of this file during a run (a run takes minutes)
# would otherwise make it run the wrong lines.
{

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
ART=$ROOT/artifacts
mkdir -p "$ART"
export GATEHOUSE_ARTIFACTS="$ART"
export PYTHONUNBUFFERED=1

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

# Build folders, relative to the source tree.
BUILD_DIR=${GATEHOUSE_BUILD_DIR:-build}
ASAN_BUILD_DIR=${GATEHOUSE_ASAN_BUILD_DIR:-build-asan}

# Time limits per tier, in seconds, and lengths (overridable from the
# environment).
FORMAT_TIMEOUT=${FORMAT_TIMEOUT:-120}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-900}
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-300}
SOAK_SECONDS=${SOAK_SECONDS:-${GATEHOUSE_SOAK_SECONDS:-60}}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-$((${SOAK_SECONDS%.*} + 300))}
ASAN_UNIT_TIMEOUT=${ASAN_UNIT_TIMEOUT:-900}
ASAN_INTEGRATION_TIMEOUT=${ASAN_INTEGRATION_TIMEOUT:-900}
# Under the sanitizers the suite runs behind lighttpd (the check in the
# FastCGI AUTHORIZER role, as under Apache) and nginx (the RESPONDER role),
# on every database: every path of the C code, without a third pass that
# would only repeat them (Apache runs in the plain integration tier; set
# ASAN_INTEGRATION_ARGS= for every server).
read -r -a ASAN_INTEGRATION_ARGS <<<"${ASAN_INTEGRATION_ARGS---server lighttpd --server nginx}"
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-600}

# The sanitizers' settings for the asan tiers: stop at the first report
# (the build has -fno-sanitize-recover=all), with a status of its own (66;
# gatehousectl's statuses end at 5), report leaks at exit with 23, catch a
# use of a returned function's stack too, and print UBSan's stack.
SAN_ENV=(
	"ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:exitcode=66:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:print_summary=1"
	"LSAN_OPTIONS=exitcode=23"
	"UBSAN_OPTIONS=halt_on_error=1:abort_on_error=0:exitcode=66:print_stacktrace=1"
)

RUN_START=$SECONDS
TIER_START=$SECONDS

record() { # record NAME PASSED FAILED [NOTE]: the time since TIER_START too
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("$(printf '%-17s %s passed, %s failed  [%d s]%s' "$1" "$2" "$3" \
		$((SECONDS - TIER_START)) "${4:+  ($4)}")")
}

# last_summary FILE: prints "P F" from the last `N passed, N failed` line
# (an optional `word:` before it, an optional `, N skipped` after it).
last_summary() {
	sed -nE 's/^([A-Za-z_-]+: *)?([0-9]+) passed, ([0-9]+) failed(, [0-9]+ skipped)?[[:space:]]*$/\2 \3/p' \
		"$1" 2>/dev/null | tail -n 1
}

# run_tier NAME TIMEOUT CMD...: runs CMD with its output shown and kept in
# artifacts/NAME.log, then records the counts of its closing line.
run_tier() {
	local name=$1 limit=$2 log="$ART/$1.log" status counts p f note=
	shift 2
	TIER_START=$SECONDS
	echo
	echo "== $name: $*"
	timeout --kill-after=10 "$limit" "$@" </dev/null 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	counts=$(last_summary "$log")
	if [ -z "$counts" ]; then
		p=0 f=1
		if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			note="timed out after ${limit}s, no summary"
		else
			note="exit $status, no summary"
		fi
	else
		read -r p f <<<"$counts"
		if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			note="exit $status"
		fi
	fi
	record "$name" "$p" "$f" "$note"
}

# run_unit NAME BUILD-DIR TIMEOUT [VAR=VALUE...]: the unit tests of one
# build, with VAR=VALUE in their environment.  automake's test harness keeps
# each binary's output in BUILD-DIR/tests/unit/test_X.log and its verdict in
# test_X.trs; they are copied to artifacts/NAME/, make's output goes to
# artifacts/NAME.log.
run_unit() {
	local name=$1 dir=$2 build=$ROOT/$2 limit=$3 log="$ART/$1.log" tests t tlog counts p f status
	local sum_p=0 sum_f=0 missing=0 notes=()
	shift 3
	TIER_START=$SECONDS
	echo
	echo "== $name: make -C $dir check${*:+ with $*}"
	# shellcheck disable=SC2016 # $(TESTS) is for make
	tests=$(printf 'gh-print-tests:\n\t@echo $(TESTS)\n' |
		make -s -C "$build" -f Makefile -f - gh-print-tests 2>/dev/null)
	rm -f "$build"/tests/unit/*.log "$build"/tests/unit/*.trs
	timeout --kill-after=10 "$limit" env "$@" make -C "$build" -j2 check </dev/null >"$log" 2>&1
	status=$?
	rm -rf "${ART:?}/$name"
	mkdir -p "$ART/$name"
	if [ -z "$tests" ]; then
		tail -n 40 "$log"
		record "$name" 0 1 "could not list the unit tests"
		return
	fi
	for t in $tests; do
		tlog="$build/$t.log"
		if [ ! -f "$tlog" ]; then
			echo "not ok - $t (did not run)"
			sum_f=$((sum_f + 1))
			missing=$((missing + 1))
			continue
		fi
		cp "$tlog" "$ART/$name/"
		counts=$(last_summary "$tlog")
		if [ -z "$counts" ]; then
			p=$(grep -cE '^ok - ' "$tlog")
			f=$(($(grep -cE '^not ok - ' "$tlog") + 1))
			echo "not ok - $t ($p ok, then ended without a summary)"
			grep -E '^not ok - ' "$tlog" | sed 's/^/    /'
			tail -n 5 "$tlog" | sed 's/^/    | /'
			notes+=("$(basename "$t") crashed")
		else
			read -r p f <<<"$counts"
			if [ "$f" -eq 0 ] && grep -qE '^:test-result: (FAIL|ERROR)' "$build/$t.trs" 2>/dev/null; then
				f=1
				echo "not ok - $t ($p ok, but the program failed)"
				tail -n 5 "$tlog" | sed 's/^/    | /'
				notes+=("$(basename "$t") exit status")
			elif [ "$f" -eq 0 ]; then
				echo "ok - $t ($p ok)"
			else
				echo "not ok - $t ($p ok, $f not ok)"
				grep -E '^not ok - ' "$tlog" | sed 's/^/    /'
			fi
		fi
		sum_p=$((sum_p + p))
		sum_f=$((sum_f + f))
	done
	[ "$missing" -eq 0 ] || notes+=("$missing did not run")
	if [ "$status" -ne 0 ] && { [ "$sum_f" -eq 0 ] || [ "$missing" -gt 0 ]; }; then
		# make check failed outside the tests (e.g. a test did not compile).
		echo "make check exit $status; end of artifacts/$name.log:"
		tail -n 30 "$log" | sed 's/^/    | /'
		[ "$sum_f" -gt 0 ] || sum_f=1
		notes+=("make check exit $status")
	fi
	echo "$name: $sum_p passed, $sum_f failed"
	record "$name" "$sum_p" "$sum_f" "$(
		IFS=';'
		echo "${notes[*]:-}"
	)"
}

finish() {
	echo
	echo "== summary (logs in artifacts/)"
	printf '%s\n' "${SUMMARY[@]}"
	echo "all tiers: $((SECONDS - RUN_START)) s"
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[ "$TOTAL_FAILED" -eq 0 ]
	exit $?
}

# run_asan_build: the library, the programs and the unit tests with ASan and
# UBSan in their own folder, so that build/ stays as it is.
run_asan_build() {
	TIER_START=$SECONDS
	echo
	echo "== asan-build: GATEHOUSE_BUILD_DIR=$ASAN_BUILD_DIR scripts/build.sh --enable-sanitizers $*"
	mkdir -p "$ART/asan"
	if GATEHOUSE_BUILD_DIR=$ASAN_BUILD_DIR bash scripts/build.sh --enable-sanitizers "$@" \
		</dev/null >"$ART/asan-build.log" 2>&1 &&
		make -C "$ASAN_BUILD_DIR" -j2 check TESTS= >>"$ART/asan-build.log" 2>&1; then
		tail -n 3 "$ART/asan-build.log"
		record asan-build 0 0
		return 0
	fi
	tail -n 40 "$ART/asan-build.log"
	cp "$ASAN_BUILD_DIR"/*.log "$ART/asan/" 2>/dev/null
	record asan-build 0 1 "see artifacts/asan-build.log; asan tiers not run"
	return 1
}

TIER_START=$SECONDS
echo "== deps"
if ! bash scripts/deps.sh test </dev/null 2>&1 | tee "$ART/deps.log"; then
	record deps 0 1 "scripts/deps.sh test failed"
fi

TIER_START=$SECONDS
echo
echo "== build"
if ! GATEHOUSE_BUILD_DIR=$BUILD_DIR bash scripts/build.sh "$@" </dev/null 2>&1 |
	tee "$ART/build.log"; then
	cp "$BUILD_DIR"/*.log "$ART/" 2>/dev/null
	record build 0 1 "scripts/build.sh failed; tiers not run"
	finish
fi

export GATEHOUSE_BUILD_DIR=$BUILD_DIR
run_tier format "$FORMAT_TIMEOUT" bash scripts/format.sh --check
run_unit unit "$BUILD_DIR" "$UNIT_TIMEOUT"
run_tier integration "$INTEGRATION_TIMEOUT" python3 tests/integration/run.py
run_tier browser "$BROWSER_TIMEOUT" node tests/browser/login.test.mjs
run_tier soak "$SOAK_TIMEOUT" python3 tests/soak/run.py --seconds "$SOAK_SECONDS"

if run_asan_build "$@"; then
	run_unit asan-unit "$ASAN_BUILD_DIR" "$ASAN_UNIT_TIMEOUT" "${SAN_ENV[@]}"
	run_tier asan-integration "$ASAN_INTEGRATION_TIMEOUT" \
		env "${SAN_ENV[@]}" GATEHOUSE_BUILD_DIR="$ASAN_BUILD_DIR" GATEHOUSE_ARTIFACTS="$ART/asan" GATEHOUSE_TEST_CHECK_CACHE=off \
		python3 tests/integration/run.py "${ASAN_INTEGRATION_ARGS[@]}"
fi

run_tier fuzz "$FUZZ_TIMEOUT" bash tests/fuzz/run.sh "$FUZZ_SECONDS"
finish # exits
# shellcheck disable=SC2317 # a guard should finish ever return
exit
}
