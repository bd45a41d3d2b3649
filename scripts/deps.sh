#!/usr/bin/env bash
# Installs, only when missing, every Debian package Gatehouse needs to build,
# run the demo and run the tests, then the browser tests' npm packages.
#
# A second run with everything present is fast and needs no network:
# packages are checked with dpkg-query, `apt-get update` runs only when
# something is missing, and `npm ci` only when tests/browser/node_modules is
# (an npm failure is only a warning: the demo does not need it).
# Runs with no standard input (CI). As a non-root user it uses sudo when
# something is missing, or says what to install and fails.  As root it also
# creates the system account gatehouse that the responders run as.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	clang libclang-rt-14-dev
	libfcgi-dev spawn-fcgi
	libsqlite3-dev sqlite3
	default-libmysqlclient-dev libpq-dev mariadb-server postgresql
	libcrypt-dev libargon2-dev libssl-dev libjansson-dev
	lighttpd lighttpd-mod-openssl apache2 nginx-light fcgiwrap
	curl openssl python3 wrk
	apache2-utils php-cli
	chromium
	man-db groff-base
)

# Node.js: NodeSource's nodejs ships its own npm and conflicts with Debian's
# npm package, so Debian's are installed only when node or npm is missing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PACKAGES+=(nodejs npm)
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
	# Debian starts the web servers it installs; the demo and the tests
	# start their own on other ports, so the system ones are stopped again
	# when this script was the one that installed them.
	for svc in apache2 lighttpd; do
		case " ${missing[*]} " in
		*" $svc "*)
			if command -v systemctl >/dev/null 2>&1 &&
				systemctl is-active --quiet "$svc" 2>/dev/null; then
				"${SUDO[@]}" systemctl stop "$svc" || true
				"${SUDO[@]}" systemctl disable --quiet "$svc" || true
			elif command -v service >/dev/null 2>&1; then
				"${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
			fi
			;;
		esac
	done
else
	echo "deps: all Debian packages present"
fi

# The responders refuse to run as root (gatehouse-login(8)): as root,
# deploy/stack.py (the demo, the tests, the benchmark) starts them as this
# system account, as the units in deploy/ do on a server.  Only root can
# make it, and only a run as root needs it.
if [ "$(id -u)" -eq 0 ]; then
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

# Browser tests: playwright-core drives Debian's chromium; it downloads no
# browser of its own.  Only the browser tests need it: a failure here is a
# warning, so that the demo still starts without the npm registry.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	echo "deps: installing tests/browser npm packages"
	if ! (
		cd tests/browser
		export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
		if [ -f package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error </dev/null
		else
			npm install --no-audit --no-fund --loglevel=error </dev/null
		fi
	); then
		echo "deps: warning: npm could not install tests/browser's packages;" \
			"the browser tests cannot run" >&2
	fi
else
	echo "deps: tests/browser npm packages present"
fi
