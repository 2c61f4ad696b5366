#!/usr/bin/env bash
# stop.sh stops the Samba AD DC started by setup.sh (SIGTERM to its pid).
# With --clean it also deletes $CLAIMGATE_SAMBA_DIR, so the next setup.sh
# provisions a fresh domain (with a new random domain SID).
set -euo pipefail
DIR=${CLAIMGATE_SAMBA_DIR:-/tmp/claimgate-samba}
PIDFILE="$DIR/run/samba.pid"

if [ -s "$PIDFILE" ]; then
	pid=$(cat "$PIDFILE")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "samba-stop: pid $pid did not exit after SIGTERM" >&2
			exit 1
		fi
	fi
	rm -f "$PIDFILE"
fi

if [ "${1:-}" = "--clean" ]; then
	# Only remove a directory setup.sh created (it leaves this marker).
	if [ -e "$DIR/.claimgate-samba" ]; then
		rm -rf "$DIR"
	fi
fi
