#!/usr/bin/env bash
# Runs every Gatehouse test tier and prints one total.
#
#   sudo scripts/test.sh [CONFIGURE-ARGS...]    e.g. --enable-sanitizers
#
# 1. scripts/deps.sh   (installs missing Debian/npm packages)
# 2. scripts/build.sh  (autogen, configure and make in build/)
# 3. tiers:
#    unit         make -C build check; counts summed from build/tests/unit/*.log
#    integration  python3 tests/integration/run.py
#    browser      node tests/browser/login.test.mjs
#
# Each tier ends its output with `N passed, N failed`; a tier that crashes,
# times out or prints no such line counts as 1 failed. Logs and the browser
# screenshot go to artifacts/. The last line printed is the total,
# `N passed, N failed`; the exit status is 0 exactly when nothing failed.
# Needs no standard input (CI runs it as root with none).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
ART=$ROOT/artifacts
mkdir -p "$ART"
export GATEHOUSE_ARTIFACTS="$ART"
export PYTHONUNBUFFERED=1

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

# Time limits per tier, in seconds (overridable from the environment).
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-900}
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-300}

record() { # record NAME PASSED FAILED [NOTE]
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("$(printf '%-12s %s passed, %s failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
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

# Unit tier: automake's test harness keeps each binary's output in
# build/tests/unit/test_X.log and its verdict in test_X.trs.
run_unit() {
	local log="$ART/unit.log" tests t tlog counts p f status
	local sum_p=0 sum_f=0 missing=0 notes=()
	echo
	echo "== unit: make -C build check"
	# shellcheck disable=SC2016 # $(TESTS) is for make
	tests=$(printf 'gh-print-tests:\n\t@echo $(TESTS)\n' |
		make -s -C "$ROOT/build" -f Makefile -f - gh-print-tests 2>/dev/null)
	rm -f "$ROOT"/build/tests/unit/*.log "$ROOT"/build/tests/unit/*.trs
	timeout --kill-after=10 "$UNIT_TIMEOUT" make -C "$ROOT/build" -j2 check </dev/null >"$log" 2>&1
	status=$?
	mkdir -p "$ART/unit"
	if [ -z "$tests" ]; then
		tail -n 40 "$log"
		record unit 0 1 "could not list the unit tests"
		return
	fi
	for t in $tests; do
		tlog="$ROOT/build/$t.log"
		if [ ! -f "$tlog" ]; then
			echo "not ok - $t (did not run)"
			sum_f=$((sum_f + 1))
			missing=$((missing + 1))
			continue
		fi
		cp "$tlog" "$ART/unit/"
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
			if [ "$f" -eq 0 ] && grep -qE '^:test-result: (FAIL|ERROR)' "$ROOT/build/$t.trs" 2>/dev/null; then
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
		echo "make check exit $status; end of artifacts/unit.log:"
		tail -n 30 "$log" | sed 's/^/    | /'
		[ "$sum_f" -gt 0 ] || sum_f=1
		notes+=("make check exit $status")
	fi
	echo "unit: $sum_p passed, $sum_f failed"
	record unit "$sum_p" "$sum_f" "$(
		IFS=';'
		echo "${notes[*]:-}"
	)"
}

finish() {
	echo
	echo "== summary (logs in artifacts/)"
	printf '%s\n' "${SUMMARY[@]}"
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[ "$TOTAL_FAILED" -eq 0 ]
	exit $?
}

echo "== deps"
if ! bash scripts/deps.sh </dev/null 2>&1 | tee "$ART/deps.log"; then
	record deps 0 1 "scripts/deps.sh failed"
fi

echo
echo "== build"
if ! bash scripts/build.sh "$@" </dev/null 2>&1 | tee "$ART/build.log"; then
	cp build/*.log "$ART/" 2>/dev/null
	record build 0 1 "scripts/build.sh failed; tiers not run"
	finish
fi

run_unit
run_tier integration "$INTEGRATION_TIMEOUT" python3 tests/integration/run.py
run_tier browser "$BROWSER_TIMEOUT" node tests/browser/login.test.mjs
finish
