#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each one
# for a fixed time.
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]     default 10 seconds, all harnesses
#
# Each harness first replays its regression inputs (tests/fuzz/regressions/
# NAME/: crashes found earlier, kept for ever) and seed corpus, then fuzzes
# on a scratch copy of the corpus, so the repository is never modified.  A
# crash is saved under artifacts/fuzz/ and counts as a failure; the output
# ends with "N passed, N failed".  `make fuzz` runs this with a long time.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:-10}
shift || true
out=${GH_FUZZ_BUILD:-$top/build/fuzz}
artifacts=$top/artifacts/fuzz
mkdir -p "$out" "$artifacts"

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		n=$(basename "$f" .c)
		harnesses+=("${n#fuzz_}")
	done
fi

# The library's parsers, compiled once with clang for the fuzzers; with
# them the database layer, whose drivers' URL parsers config.c runs on a
# database URL (each driver whose library pkg-config finds, as configure),
# and user.c, whose role_valid_name checks a partner's role_map.
lib_srcs=(err buf log crypto jwks jwks_key jws config config_ini config_apply config_keys
	config_value config_partner access url request request_json credential response template
	template_render db db_driver db_sqlite throttle user)
cflags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
	-D_GNU_SOURCE -I"$top/common" -DSYSCONFDIR='"/etc"' -DDATADIR='"/usr/share"'
	-DLOCALSTATEDIR='"/var"')
libs=(-lfcgi -ljwt -lcrypto -ljansson -lsqlite3 -pthread)
for driver in "mysqlclient db_mysql:db_mysql_stmt:db_mysql_url HAVE_MYSQL" "libpq db_pgsql:db_pgsql_text HAVE_PGSQL"; do
	read -r pkg srcs define <<<"$driver"
	if pkg-config --exists "$pkg"; then
		IFS=: read -ra more <<<"$srcs"
		lib_srcs+=("${more[@]}")
		read -ra flags <<<"$(pkg-config --cflags "$pkg")"
		cflags+=("${flags[@]}" -D"$define")
		read -ra flags <<<"$(pkg-config --libs "$pkg")"
		libs+=("${flags[@]}")
	fi
done
objs=()
for s in "${lib_srcs[@]}"; do
	o=$out/$s.o
	if [ ! -e "$o" ] || [ "$top/common/$s.c" -nt "$o" ] || [ "$top/common/$s.h" -nt "$o" ]; then
		clang "${cflags[@]}" -c "$top/common/$s.c" -o "$o" || exit 1
	fi
	objs+=("$o")
done

passed=0 failed=0
for h in "${harnesses[@]}"; do
	bin=$out/fuzz_$h
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I"$top/common" "$here/fuzz_$h.c" "${objs[@]}" -o "$bin" "${libs[@]}"; then
		echo "not ok - fuzz_$h (does not build)"
		failed=$((failed + 1))
		continue
	fi
	work=$(mktemp -d)
	cp -r "$here/corpus/$h/." "$work/" 2>/dev/null
	dict=()
	[ -f "$here/dict/$h.dict" ] && dict=(-dict="$here/dict/$h.dict")
	regress=()
	[ -d "$here/regressions/$h" ] && regress=("$here/regressions/$h")
	log=$artifacts/fuzz_$h.log
	# -rss_limit_mb keeps a runaway input from eating the shared machine.
	if "$bin" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=8192 \
		-artifact_prefix="$artifacts/fuzz_$h-" -print_final_stats=1 \
		"$work" "${regress[@]}" >"$log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		echo "ok - fuzz_$h (${runs:-?} inputs in ${seconds}s)"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz_$h (see ${log#"$top"/})"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log"
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
