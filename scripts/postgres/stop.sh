#!/usr/bin/env bash
# stop.sh stops the PostgreSQL instance started by setup.sh (pg_ctl stop,
# fast mode). With --clean it also deletes $CLAIMGATE_PG_DIR, so the next
# setup.sh creates a fresh cluster.
set -euo pipefail
DIR=${CLAIMGATE_PG_DIR:-/tmp/claimgate-pg}
DATA="$DIR/data"
OS_USER=postgres

v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
BIN="/usr/lib/postgresql/$v/bin"

if [ -n "$v" ] && [ -s "$DATA/postmaster.pid" ]; then
	if (cd / && runuser -u "$OS_USER" -- "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1); then
		(cd / && runuser -u "$OS_USER" -- "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null) || {
			echo "postgres-stop: the server in $DATA did not stop" >&2
			exit 1
		}
	fi
fi

if [ "${1:-}" = "--clean" ]; then
	# Only remove a directory setup.sh created (it leaves this marker).
	if [ -e "$DIR/.claimgate-pg" ]; then
		rm -rf "$DIR"
	fi
fi
