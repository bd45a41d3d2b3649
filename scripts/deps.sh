#!/usr/bin/env bash
# Installs, only when missing, the Debian packages Gatehouse needs for one
# purpose, and for the tests the browser tests' npm packages.
#
#   scripts/deps.sh [--print] [test]                  everything (the default)
#   scripts/deps.sh [--print] demo [lighttpd|apache|nginx]
#   scripts/deps.sh [--print] build
#
# build: the compiler, autotools and the -dev libraries scripts/build.sh
#   needs (MariaDB's and PostgreSQL's client headers too: configure builds
#   their drivers whenever it finds them, so a build made for the demo is
#   the one the tests use).
# demo SERVER: build, plus spawn-fcgi, python3 (deploy/stack.py) and the one
#   web server scripts/demo.sh starts: lighttpd (the default), apache2, or
#   nginx-light with fcgiwrap (nginx runs no CGI itself).  No database
#   server, browser, clang or PHP.
# test: build, all three web servers, and what the tests, the sanitizer
#   and fuzz builds and bench/ use besides: mariadb-server and postgresql
#   (tests/dbserver.sh starts throwaway servers of its own), clang and its
#   runtime (ASan, UBSan, libFuzzer), clang-format (scripts/format.sh),
#   lighttpd-mod-openssl (HTTPS under lighttpd), chromium, node and npm with tests/browser's npm packages,
#   php-cli and apache2-utils (hashes other applications write), openssl,
#   curl, sqlite3, wrk, man-db and groff-base, python3-jwt and
#   python3-cryptography (the single sign-on tests' partner tokens and
#   keys), and tests/interop's npm package jose (the same, from another
#   implementation).
# --print: lists the Debian packages of the purpose, one a line, whether
#   installed or not, and installs nothing.
#
# A second run with everything present is fast and needs no network:
# packages are checked with dpkg-query, `apt-get update` runs only when
# something is missing, and `npm ci` only when tests/browser/node_modules
# or tests/interop/node_modules is (an npm failure is only a warning: only
# the browser tests, or the single sign-on interoperability tests, need
# them).
# Debian starts the servers it installs (apache2, lighttpd, nginx, mariadb,
# postgresql); the demo and the tests start their own, so the system ones
# that this run installed are stopped again, and under systemd disabled
# (systemctl enable --now NAME to use one).
# Runs with no standard input (CI). As a non-root user it uses sudo when
# something is missing, or says what to install and fails.  As root, for
# the demo and the tests, it also creates the system account gatehouse that
# the responders run as.
set -euo pipefail

cd "$(dirname "$0")/.."

usage() {
	echo "usage: $0 [--print] [test | demo [lighttpd|apache|nginx] | build]" >&2
	exit 2
}

BUILD_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libfcgi-dev libsqlite3-dev default-libmysqlclient-dev libpq-dev
	libcrypt-dev libargon2-dev libssl-dev libjansson-dev libjwt-dev
)
# What deploy/stack.py needs to serve the demo, besides the web server.
RUN_PACKAGES=(spawn-fcgi python3)
# The web server of `demo SERVER`.
server_packages() {
	case $1 in
	lighttpd) echo lighttpd ;;
	apache) echo apache2 ;;
	nginx) echo nginx-light fcgiwrap ;;
	*) return 1 ;;
	esac
}
TEST_PACKAGES=(
	lighttpd lighttpd-mod-openssl apache2 nginx-light fcgiwrap
	mariadb-server postgresql
	clang libclang-rt-14-dev clang-format
	sqlite3 curl openssl wrk
	apache2-utils php-cli
	python3-jwt python3-cryptography
	chromium
	man-db groff-base
	fail2ban
)

print=0
while [ $# -gt 0 ]; do
	case $1 in
	--print) print=1 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
purpose=${1:-test} server=
[ $# -eq 0 ] || shift
case $purpose in
test | build) [ $# -eq 0 ] || usage ;;
demo)
	server=${1:-lighttpd}
	[ $# -le 1 ] || usage
	server_packages "$server" >/dev/null || usage
	;;
*) usage ;;
esac

PACKAGES=("${BUILD_PACKAGES[@]}")
case $purpose in
demo)
	read -r -a web <<<"$(server_packages "$server")"
	PACKAGES+=("${RUN_PACKAGES[@]}" "${web[@]}")
	;;
test)
	PACKAGES+=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
	# Node.js: NodeSource's nodejs ships its own npm and conflicts with
	# Debian's npm package, so Debian's are installed only when node or
	# npm is missing.
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		PACKAGES+=(nodejs npm)
	fi
	;;
esac

if [ "$print" -eq 1 ]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=()
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
		SUDO=(sudo)
	else
		echo "deps: not root, and these Debian packages are missing:" >&2
		echo "  ${missing[*]}" >&2
		echo "deps: run as root: apt-get install ${missing[*]}" >&2
		echo "      (or run this script with sudo)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install "${apt_opts[@]}" "${missing[@]}" </dev/null
	# Debian starts the servers it installs; the demo and the tests start
	# their own on other ports (tests/dbserver.sh its own database
	# servers), so the system ones are stopped and disabled again when
	# this run was the one that installed them (package:service).
	for pair in apache2:apache2 lighttpd:lighttpd nginx-light:nginx \
		mariadb-server:mariadb postgresql:postgresql; do
		pkg=${pair%%:*} svc=${pair#*:}
		case " ${missing[*]} " in
		*" $pkg "*)
			if command -v systemctl >/dev/null 2>&1 &&
				systemctl is-active --quiet "$svc" 2>/dev/null; then
				echo "deps: stopping and disabling the system's $svc (installed just now)"
				"${SUDO[@]}" systemctl stop "$svc" || true
				"${SUDO[@]}" systemctl disable --quiet "$svc" || true
			elif command -v service >/dev/null 2>&1; then
				"${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
			fi
			;;
		esac
	done
else
	echo "deps: all Debian packages for $purpose${server:+ ($server)} present"
fi

# The responders refuse to run as root (gatehouse-login(8)): as root,
# deploy/stack.py (the demo, the tests, the benchmark) starts them as this
# system account, as the units in deploy/ do on a server.  Only root can
# make it, and only a run as root needs it; a build does not.
if [ "$(id -u)" -eq 0 ] && [ "$purpose" != build ]; then
	if ! getent passwd gatehouse >/dev/null; then
		echo "deps: creating the system account gatehouse (the responders' user)"
		group=(--user-group)
		if getent group gatehouse >/dev/null; then
			group=(--gid gatehouse)
		fi
		useradd --system "${group[@]}" --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin gatehouse
	else
		echo "deps: system account gatehouse present"
	fi
fi

# npm packages of the tests, each folder with its package-lock.json:
# tests/browser (playwright-core, which drives Debian's chromium and
# downloads no browser of its own) for the browser tests, tests/interop
# (jose) for the single sign-on interoperability tests.  Only those tests
# need them: a failure here is a warning, so that the other tiers still run
# without the npm registry.
[ "$purpose" = test ] || exit 0
for pair in browser:playwright-core interop:jose; do
	folder=tests/${pair%%:*} package=${pair#*:}
	if [ -d "$folder/node_modules/$package" ]; then
		echo "deps: $folder npm packages present"
		continue
	fi
	echo "deps: installing $folder npm packages"
	if ! (
		cd "$folder"
		export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
		if [ -f package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error </dev/null
		else
			npm install --no-audit --no-fund --loglevel=error </dev/null
		fi
	); then
		echo "deps: warning: npm could not install $folder's packages;" \
			"the tests that need $package cannot run" >&2
	fi
done
