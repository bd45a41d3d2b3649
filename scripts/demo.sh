#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and serves the demo site
# behind Gatehouse on http://127.0.0.1:8080/ until Ctrl-C or SIGTERM.
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

if [ -f scripts/deps.sh ]; then
	bash scripts/deps.sh </dev/null
fi
bash scripts/build.sh </dev/null

# exec: the launcher gets the signals itself and stops every child cleanly.
exec python3 deploy/stack.py demo "$@"
