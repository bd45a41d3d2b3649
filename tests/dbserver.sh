#!/usr/bin/env bash
# Starts and stops a throwaway MariaDB or PostgreSQL server for the tests.
#
#   tests/dbserver.sh start mariadb|postgresql DIR
#   tests/dbserver.sh stop  mariadb|postgresql DIR
#
# start: on a first start, makes a new data directory in DIR (which must be
# missing or empty; its parent must be searchable by the server's user),
# with a database "gatehouse" owned by an account "gatehouse" whose random
# password is written to DIR/password (mode 0600, never printed).  The
# server listens on 127.0.0.1 at a free port (kept in DIR/port, so a later
# start uses the same one) and on a Unix socket in DIR.  It prints the
# database URL for Gatehouse on the first line of standard output:
#   mysql://gatehouse@127.0.0.1:PORT/gatehouse
#   postgresql://gatehouse@127.0.0.1:PORT/gatehouse
# and the URL over the Unix socket on the second:
#   mysql://gatehouse@localhost/gatehouse?socket=DIR/mysqld.sock
#   postgresql://gatehouse@/gatehouse?host=DIR&port=PORT
# Both speak TLS with a certificate of a test CA made on the first start in
# DIR/tls: ca.pem (the CA), server.pem (for localhost, 127.0.0.1 and no
# other name) and other-ca.pem (a CA that signed nothing here, for tests of
# a wrong CA); the CAs' keys are not kept.  They listen on 127.0.0.1 and
# 127.0.0.2, the second an address the certificate does not name.
# A start on a DIR that was stopped restarts the same server with its data
# (the fault tests stop and start a database under load).  The server's
# administrator is reachable only through the socket in DIR: MariaDB "root"
# and PostgreSQL "postgres", both without a password.
#
# stop: a clean shutdown (everything committed is on disk); DIR is kept, and
# removing it is the caller's job.  Stopping a server that is not running
# is not an error.
#
# The servers run as the calling user, or, for root (which both refuse to
# run as), as the Debian packages' "mysql" / "postgres" users, with DIR
# handed to them.  They are tuned for tests: small memory, no fsync on
# commit (a killed server loses nothing; only a machine crash would).
# Needs Debian's mariadb-server or postgresql (15) packages.
set -euo pipefail

usage() {
	echo "usage: $0 start|stop mariadb|postgresql DIR" >&2
	exit 2
}

[ $# -eq 3 ] || usage
cmd=$1 kind=$2 dir=$3
case "$cmd" in start | stop) ;; *) usage ;; esac
case "$kind" in mariadb | postgresql) ;; *) usage ;; esac
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

die() {
	echo "dbserver: $*" >&2
	exit 1
}

# fail LOG MESSAGE: dies with the end of LOG, which the caller may remove.
fail() {
	tail -n 20 "$1" 2>/dev/null | sed 's/^/dbserver: | /' >&2
	die "$2: see $1"
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# as_owner runs a command as the server's user.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

if [ "$(id -u)" -eq 0 ]; then
	owner=$([ "$kind" = mariadb ] && echo mysql || echo postgres)
	id "$owner" >/dev/null 2>&1 || die "user $owner missing (install the $kind server package)"
else
	owner=$(id -un)
fi

# tls_make makes DIR/tls (see the top), the server's key for its owner only.
tls_make() {
	local t=$dir/tls
	mkdir -p "$t"
	# ca NAME: a self-signed CA, NAME.pem and NAME.key.
	ca() {
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 30 -subj "/CN=Gatehouse test $1" -keyout "$t/$1.key" -out "$t/$1.pem" \
			>>"$t/openssl.log" 2>&1 || fail "$t/openssl.log" "openssl req $1"
	}
	ca ca
	ca other-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=localhost" -keyout "$t/server.key" -out "$t/server.csr" \
		>>"$t/openssl.log" 2>&1 || fail "$t/openssl.log" "openssl req server"
	printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$t/server.ext"
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
		-CAcreateserial -days 30 -extfile "$t/server.ext" -out "$t/server.pem" \
		>>"$t/openssl.log" 2>&1 || fail "$t/openssl.log" "openssl x509 server"
	rm -f "$t/ca.key" "$t/other-ca.key" "$t/server.csr" "$t/server.ext" "$t/ca.srl"
	chmod 755 "$t"
	chmod 644 "$t/ca.pem" "$t/other-ca.pem" "$t/server.pem"
	chmod 600 "$t/server.key"
	[ "$(id -u)" -ne 0 ] || chown "$owner" "$t/server.key"
}

# ---------------------------------------------------------------- MariaDB

my_opts() {
	local port=$1
	echo --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysqld.sock" \
		--port="$port" --bind-address=127.0.0.1,127.0.0.2 --pid-file="$dir/mysqld.pid" \
		--ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server.pem" \
		--ssl-key="$dir/tls/server.key" \
		--log-error="$dir/mysqld.log" --skip-name-resolve --skip-log-bin \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=2 --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_unicode_ci --max-connections=200 \
		$([ "$(id -u)" -eq 0 ] && echo --user="$owner")
}

my_client() {
	mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot "$@"
}

my_running() {
	[ -S "$dir/mysqld.sock" ] && my_client -e 'SELECT 1' >/dev/null 2>&1
}

my_start() {
	local port first=0 i pw
	command -v mariadbd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v mariadbd >/dev/null 2>&1 || die "mariadbd not found (apt-get install mariadb-server)"
	if [ ! -d "$dir/data" ]; then
		first=1
		mkdir -p "$dir"
		[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
		free_port >"$dir/port"
		[ "$(id -u)" -ne 0 ] || chown "$owner" "$dir"
		tls_make
		# A temporary folder of its own: servers bootstrapping at the same
		# time in one /tmp (make -j2 check) collide on their temporary
		# tables' names ("Unknown table 'mysql.tmp_user_sys'").
		mkdir -p "$dir/tmp"
		[ "$(id -u)" -ne 0 ] || chown "$owner" "$dir/tmp"
		as_owner mariadb-install-db --no-defaults --datadir="$dir/data" \
			--tmpdir="$dir/tmp" --auth-root-authentication-method=normal --skip-test-db \
			>"$dir/install.log" 2>&1 || fail "$dir/install.log" "mariadb-install-db failed"
	fi
	port=$(cat "$dir/port")
	if ! my_running; then
		# As root, mariadbd itself becomes $owner (--user): no runuser in
		# between, which would stop itself when a test stops the server
		# (SIGSTOP) and then never reap it.
		# shellcheck disable=SC2046
		mariadbd $(my_opts "$port") </dev/null >/dev/null 2>&1 &
		for i in $(seq 1 300); do
			my_running && break
			if ! kill -0 $! 2>/dev/null; then
				fail "$dir/mysqld.log" "mariadbd exited"
			fi
			sleep 0.1
		done
		my_running || fail "$dir/mysqld.log" "mariadbd did not start within 30 s"
	fi
	if [ "$first" -eq 1 ]; then
		pw=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
		(umask 077 && printf '%s\n' "$pw" >"$dir/password")
		my_client <<-EOF
			CREATE DATABASE gatehouse CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
			CREATE USER 'gatehouse'@'localhost' IDENTIFIED BY '$pw';
			CREATE USER 'gatehouse'@'127.0.0.1' IDENTIFIED BY '$pw';
			GRANT ALL ON gatehouse.* TO 'gatehouse'@'localhost', 'gatehouse'@'127.0.0.1';
		EOF
	fi
	echo "mysql://gatehouse@127.0.0.1:$port/gatehouse"
	echo "mysql://gatehouse@localhost/gatehouse?socket=$dir/mysqld.sock"
}

# alive PID: the process runs (a zombie left unreaped by an orphan's new
# parent has ended).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

my_stop() {
	local pid i
	[ -f "$dir/mysqld.pid" ] || return 0
	pid=$(cat "$dir/mysqld.pid")
	alive "$pid" || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid"
	for i in $(seq 1 600); do
		alive "$pid" || return 0
		sleep 0.1
	done
	die "mariadbd $pid did not stop within 60 s"
}

# ------------------------------------------------------------- PostgreSQL

pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && echo "$d"
	done | sort -V | tail -n 1
}

pg_start() {
	local bin port first=0 pw
	bin=$(pg_bin)
	[ -n "$bin" ] || die "PostgreSQL not found (apt-get install postgresql)"
	if [ ! -d "$dir/data" ]; then
		first=1
		mkdir -p "$dir"
		[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
		free_port >"$dir/port"
		[ "$(id -u)" -ne 0 ] || chown "$owner" "$dir"
		tls_make
		# Local (socket) connections trust the OS user; TCP needs a password.
		as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
			--auth-local=trust --auth-host=scram-sha-256 \
			>"$dir/install.log" 2>&1 || fail "$dir/install.log" "initdb failed"
		echo "host all all 127.0.0.2/32 scram-sha-256" >>"$dir/data/pg_hba.conf"
	fi
	port=$(cat "$dir/port")
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
			-o "-k $dir -p $port -h 127.0.0.1,127.0.0.2 -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=200" \
			start </dev/null >/dev/null 2>&1 || fail "$dir/postgres.log" "postgres did not start"
	fi
	if [ "$first" -eq 1 ]; then
		pw=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
		(umask 077 && printf '%s\n' "$pw" >"$dir/password")
		as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
			-d postgres >/dev/null <<-EOF
				CREATE ROLE gatehouse LOGIN PASSWORD '$pw';
				CREATE DATABASE gatehouse OWNER gatehouse ENCODING 'UTF8';
			EOF
		as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
			-d gatehouse -c 'ALTER SCHEMA public OWNER TO gatehouse' >/dev/null
	fi
	echo "postgresql://gatehouse@127.0.0.1:$port/gatehouse"
	echo "postgresql://gatehouse@/gatehouse?host=$dir&port=$port"
}

pg_stop() {
	local bin
	bin=$(pg_bin)
	[ -f "$dir/data/postmaster.pid" ] || return 0
	as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 0
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		die "postgres did not stop: see $dir/postgres.log"
}

case "$cmd-$kind" in
start-mariadb) my_start ;;
stop-mariadb) my_stop ;;
start-postgresql) pg_start ;;
stop-postgresql) pg_stop ;;
esac
