#!/usr/bin/env bash
# setup.sh installs (if missing) Debian's PostgreSQL and starts a private
# instance of it on loopback for claimgate's PostgreSQL store tests: its own
# data directory, its own port, no system service, nothing on any other
# interface.
#
# Idempotent: every step checks whether it is already done, so running it
# again when the instance is up costs well under a second. Needs root (to
# install the package and to run the server as the postgres user).
#
#   CLAIMGATE_PG_DIR    where everything lives (default /tmp/claimgate-pg)
#   CLAIMGATE_PG_PORT   the TCP port on 127.0.0.1 (default 25432: below Linux's
#                       ephemeral range, 32768-60999, where any outgoing
#                       connection's local port, even one in TIME-WAIT, can
#                       keep the server from binding; 55432 did once)
#
# On success it writes $CLAIMGATE_PG_DIR/env (KEY=VALUE lines) and prints its
# path; point the tests at it with CLAIMGATE_PG_ENV=that-path. Keys:
#
#   CLAIMGATE_TEST_PG_DSN      postgres://claimgate_test:...@127.0.0.1:PORT/claimgate_test
#   CLAIMGATE_TEST_PG_DATA     the data directory (for pg_ctl restart in tests)
#   CLAIMGATE_TEST_PG_BIN      the directory holding pg_ctl
#   CLAIMGATE_TEST_PG_OS_USER  the system user the server runs as (postgres)
set -euo pipefail

DIR=${CLAIMGATE_PG_DIR:-/tmp/claimgate-pg}
PORT=${CLAIMGATE_PG_PORT:-25432}
ROLE=claimgate_test
DB=claimgate_test
# Test-only secret: this server listens on loopback only and holds no real data.
PASS='Claimgate-Pg-Test-1'
OS_USER=postgres
DATA="$DIR/data"
RUN="$DIR/run"
LOG="$DIR/postgres.log"

log() { printf 'postgres-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (to install PostgreSQL and run it as the $OS_USER user)"

bindir() {
	local v
	v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
	[ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && echo "/usr/lib/postgresql/$v/bin"
}

install_packages() {
	bindir >/dev/null && id "$OS_USER" >/dev/null 2>&1 && return 0
	log "installing postgresql"
	# The package's maintainer scripts would start the system cluster as a
	# service; a policy-rc.d answering 101 ("action forbidden") stops that.
	# An existing policy-rc.d is put back afterwards.
	local policy=/usr/sbin/policy-rc.d backup=""
	if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	restore_policy() { if [ -n "$backup" ]; then mv "$backup" "$policy"; else rm -f "$policy"; fi; }
	trap restore_policy EXIT
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends postgresql >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends postgresql >&2
	fi
	restore_policy
	trap - EXIT
	bindir >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/pg_ctl"
}

# as runs a command as the server's user, from a directory it can read.
as() { (cd / && runuser -u "$OS_USER" -- "$@"); }

init_cluster() {
	mkdir -p "$DIR"
	# The server user must traverse $DIR to reach its data and socket
	# directories; the env file inside stays root-only.
	chmod 711 "$DIR"
	touch "$DIR/.claimgate-pg"
	install -d -m 700 -o "$OS_USER" -g "$OS_USER" "$RUN"
	[ -s "$DATA/PG_VERSION" ] && [ -s "$DATA/conf.d/claimgate.conf" ] && return 0
	log "creating a cluster in $DATA"
	rm -rf "$DATA" "$DIR/provisioned"
	install -d -m 700 -o "$OS_USER" -g "$OS_USER" "$DATA"
	local pwfile
	pwfile=$(mktemp)
	# initdb wants the superuser's password in a file; the superuser is
	# reached over the Unix socket (peer) only, so this one is thrown away.
	head -c 24 /dev/urandom | base64 >"$pwfile"
	chown "$OS_USER" "$pwfile"
	as "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale --auth-local=peer \
		--auth-host=scram-sha-256 --pwfile="$pwfile" >"$DIR/initdb.log" 2>&1 ||
		{ rm -f "$pwfile"; cat "$DIR/initdb.log" >&2; die "initdb failed"; }
	rm -f "$pwfile"
	install -d -m 700 -o "$OS_USER" -g "$OS_USER" "$DATA/conf.d"
	cat >"$DATA/conf.d/claimgate.conf" <<CONF
# claimgate test instance: loopback only, its own port and socket directory.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
	chown "$OS_USER:$OS_USER" "$DATA/conf.d/claimgate.conf"
	echo "include_dir = 'conf.d'" >>"$DATA/postgresql.conf"
	# Loopback TCP with a password, the socket for the superuser only.
	cat >"$DATA/pg_hba.conf" <<HBA
local   all   postgres                  peer
host    all   all        127.0.0.1/32   scram-sha-256
HBA
	chown "$OS_USER:$OS_USER" "$DATA/pg_hba.conf"
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

start() {
	if ! as "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		# The port of this run, also for a data directory made with another.
		sed -i "s/^port = .*/port = $PORT/" "$DATA/conf.d/claimgate.conf"
		log "starting postgres on 127.0.0.1:$PORT"
		touch "$LOG"
		chown "$OS_USER:$OS_USER" "$LOG"
		as "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null ||
			{ tail -n 30 "$LOG" >&2; die "postgres did not start (log: $LOG)"; }
	fi
	for _ in $(seq 1 60); do
		ready && return 0
		sleep 0.5
	done
	die "postgres did not answer on 127.0.0.1:$PORT within 30s (log: $LOG)"
}

psql_super() { as "$BIN/psql" -h "$RUN" -p "$PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 -tA "$@"; }

provision() {
	[ -e "$DIR/provisioned" ] && return 0
	log "creating role and database $DB"
	if [ "$(psql_super -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
		psql_super -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'"
	else
		psql_super -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASS'"
	fi
	if [ "$(psql_super -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
		psql_super -c "CREATE DATABASE $DB OWNER $ROLE"
	fi
	touch "$DIR/provisioned"
}

write_env() {
	cat >"$DIR/env.tmp" <<ENV
CLAIMGATE_TEST_PG_DSN=postgres://$ROLE:$PASS@127.0.0.1:$PORT/$DB?sslmode=disable
CLAIMGATE_TEST_PG_DATA=$DATA
CLAIMGATE_TEST_PG_BIN=$BIN
CLAIMGATE_TEST_PG_OS_USER=$OS_USER
ENV
	chmod 600 "$DIR/env.tmp"
	mv "$DIR/env.tmp" "$DIR/env"
}

install_packages
BIN=$(bindir)
init_cluster
start
provision
write_env
log "ready: CLAIMGATE_PG_ENV=$DIR/env"
echo "$DIR/env"
