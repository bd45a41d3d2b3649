#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and serves the demo site
# behind Gatehouse on http://127.0.0.1:8080/ until Ctrl-C or SIGTERM.
# It installs only what the build and the one web server it starts need
# (scripts/deps.sh demo SERVER): no database server, browser or test tool.
#
#   scripts/demo.sh [--apache | --nginx] [--port 8080]
#
# The state (database, secret, logs) is kept in state/ across runs (as root,
# when the responders' account cannot reach state/, in /var/lib/gatehouse-demo:
# deploy/stack.py demo --help).  On the
# first run the user admin (role admin) is created with a random password,
# printed once.  Needs no terminal (runs under CI or systemd as well).
set -euo pipefail

cd "$(dirname "$0")/.."

# The web server, as deploy/stack.py demo reads the options.
server=lighttpd
for arg in "$@"; do
	case $arg in
	--apache) server=apache ;;
	--nginx) server=nginx ;;
	esac
done
if [ -f scripts/deps.sh ]; then
	bash scripts/deps.sh demo "$server" </dev/null
fi
bash scripts/build.sh </dev/null

# exec: the launcher gets the signals itself and stops every child cleanly.
exec python3 deploy/stack.py demo "$@"
