#!/usr/bin/env bash
# setup.sh installs, provisions, starts and seeds a real Samba AD domain
# controller on loopback for claimgate's ldapsource integration tests.
#
# Idempotent: every step checks whether it is already done, so running it
# twice is cheap (about a second when Samba is already up). Needs root
# (Samba binds the fixed ports 389/636/88 and writes a private database).
#
#   CLAIMGATE_SAMBA_DIR   where everything lives (default /tmp/claimgate-samba)
#
# On success it writes $CLAIMGATE_SAMBA_DIR/env (KEY=VALUE lines) and prints
# its path; point the tests at it with CLAIMGATE_SAMBA_ENV=that-path.
set -euo pipefail

DIR=${CLAIMGATE_SAMBA_DIR:-/tmp/claimgate-samba}
REALM=EXAMPLE.TEST
DOMAIN=EXAMPLE
BASE_DN="DC=example,DC=test"
# Test-only secrets: this DC listens on loopback only and holds no real data.
ADMIN_PASS='Claimgate-Admin-1'
SVC_USER=svc-claimgate
SVC_PASS='Claimgate-Svc-1'
USER_PASS='Claimgate-User-1'
PACKAGES=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules ldap-utils ldb-tools openssl)

log() { printf 'samba-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (Samba needs ports 389/636 and its private database)"

install_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	# The packages' maintainer scripts would start the system smbd/nmbd/samba
	# on every interface; a policy-rc.d that answers 101 ("action forbidden")
	# stops that. An existing policy-rc.d is put back afterwards.
	local policy=/usr/sbin/policy-rc.d backup=""
	if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	restore_policy() { if [ -n "$backup" ]; then mv "$backup" "$policy"; else rm -f "$policy"; fi; }
	trap restore_policy EXIT
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
	restore_policy
	trap - EXIT
}

make_certs() {
	local t="$DIR/tls"
	[ -s "$t/server.pem" ] && [ -s "$t/ca.pem" ] && return 0
	log "creating test CA and server certificate in $t"
	mkdir -p "$t"
	chmod 700 "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
		-keyout "$t/ca.key" -out "$t/ca.pem" -subj "/CN=claimgate test AD CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$t/server.key" -out "$t/server.csr" \
		-subj "/CN=dc1.example.test" 2>/dev/null
	cat >"$t/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:dc1.example.test
EXT
	# A positive random serial: Go's crypto/x509 rejects negative ones.
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
		-set_serial "0x$(openssl rand -hex 8 | sed 's/^./1/')" -days 3650 -sha256 \
		-extfile "$t/server.ext" -out "$t/server.pem" 2>/dev/null
	chmod 600 "$t/server.key" "$t/ca.key"
	rm -f "$t/server.csr" "$t/server.ext"
}

provision() {
	[ -s "$DIR/etc/smb.conf" ] && [ -s "$DIR/private/sam.ldb" ] && return 0
	log "provisioning $REALM into $DIR"
	mkdir -p "$DIR/run" "$DIR/etc"
	rm -rf "$DIR/private" "$DIR/state" "$DIR/cache" "$DIR/etc/smb.conf"
	local empty="$DIR/empty.conf"
	: >"$empty"
	samba-tool domain provision -s "$empty" --realm="$REALM" --domain="$DOMAIN" \
		--server-role=dc --dns-backend=NONE --use-rfc2307 --host-name=dc1 \
		--adminpass="$ADMIN_PASS" --targetdir="$DIR" \
		--option="interfaces=lo" --option="bind interfaces only=yes" \
		--option="server services=ldap cldap kdc" \
		--option="pid directory=$DIR/run" >"$DIR/provision.log" 2>&1 ||
		{ cat "$DIR/provision.log" >&2; die "provision failed"; }
	# These are not carried into the generated smb.conf by --option.
	sed -i "/^\[global\]/a\\
	tls enabled = yes\\
	tls keyfile = $DIR/tls/server.key\\
	tls certfile = $DIR/tls/server.pem\\
	tls cafile = $DIR/tls/ca.pem" "$DIR/etc/smb.conf"
	rm -f "$DIR/seeded"
}

running() {
	local pid
	[ -s "$DIR/run/samba.pid" ] || return 1
	pid=$(cat "$DIR/run/samba.pid")
	kill -0 "$pid" 2>/dev/null
}

ldaps_ready() {
	LDAPTLS_CACERT="$DIR/tls/ca.pem" ldapsearch -LLL -x -H ldaps://127.0.0.1:636 \
		-D "$SVC_DN" -w "$SVC_PASS" -b "" -s base defaultNamingContext >/dev/null 2>&1 ||
		LDAPTLS_CACERT="$DIR/tls/ca.pem" ldapsearch -LLL -x -H ldaps://127.0.0.1:636 \
			-D "CN=Administrator,CN=Users,$BASE_DN" -w "$ADMIN_PASS" -b "" -s base defaultNamingContext >/dev/null 2>&1
}

start() {
	if ! running; then
		log "starting samba"
		samba -D -s "$DIR/etc/smb.conf"
	fi
	for _ in $(seq 1 60); do
		ldaps_ready && return 0
		sleep 0.5
	done
	die "samba did not answer on ldaps://127.0.0.1:636 within 30s (log: $DIR/var/log or journal)"
}

st() { samba-tool "$@" -s "$DIR/etc/smb.conf"; }

ldb_modify() { ldbmodify -H "$DIR/private/sam.ldb" >/dev/null; }

seed() {
	[ -e "$DIR/seeded" ] && return 0
	log "seeding users and groups"
	# Relaxed for test users; lockout after 5 bad passwords (counter reset
	# after a minute) so erin can be locked for real, for a long time.
	st domain passwordsettings set --history-length=0 --min-pwd-age=0 --max-pwd-age=0 \
		--account-lockout-threshold=5 --account-lockout-duration=99999 --reset-account-lockout-after=1 >/dev/null
	st user create "$SVC_USER" "$SVC_PASS" --use-username-as-cn --description="claimgate service account (read only)" >/dev/null
	# tokenGroups is readable by this group in AD (and Samba); a plain user
	# may not read other users' tokenGroups. See docs/active-directory.md.
	st group addmembers "Windows Authorization Access Group" "$SVC_USER" >/dev/null
	for u in alice bob carol dave erin frank heidi; do
		st user create "$u" "$USER_PASS" --use-username-as-cn --given-name="${u^}" --surname=Test \
			--mail-address="$u@example.test" >/dev/null
	done
	ldb_modify <<LDIF
dn: CN=alice,CN=Users,$BASE_DN
changetype: modify
replace: displayName
displayName: Alice Example
-
replace: mobile
mobile: +15550100001
-
replace: department
department: Engineering

dn: CN=frank,CN=Users,$BASE_DN
changetype: modify
replace: accountExpires
accountExpires: 132223104000000000

dn: CN=heidi,CN=Users,$BASE_DN
changetype: modify
replace: userPrincipalName
userPrincipalName: heidi@corp.example.org
LDIF
	st user disable carol >/dev/null
	st user setpassword dave --newpassword="$USER_PASS" --must-change-at-next-login >/dev/null
	st group add "VPN Users" >/dev/null
	st group add "Remote Access" >/dev/null
	st group addmembers "VPN Users" alice >/dev/null
	st group addmembers "Remote Access" "VPN Users" >/dev/null
	touch "$DIR/seeded"
}

# lock_erin makes erin locked out the way AD does it: by failed binds.
lock_erin() {
	local lt
	lt=$(ldbsearch -H "$DIR/private/sam.ldb" -b "CN=erin,CN=Users,$BASE_DN" -s base lockoutTime 2>/dev/null |
		sed -n 's/^lockoutTime: //p')
	[ -n "$lt" ] && [ "$lt" != 0 ] && return 0
	log "locking erin with failed binds"
	for _ in 1 2 3 4 5 6; do
		LDAPTLS_CACERT="$DIR/tls/ca.pem" ldapsearch -LLL -x -H ldaps://127.0.0.1:636 \
			-D "CN=erin,CN=Users,$BASE_DN" -w wrong-password -b "" -s base >/dev/null 2>&1 || true
	done
}

write_env() {
	cat >"$DIR/env.tmp" <<ENV
CLAIMGATE_TEST_LDAP_URL=ldaps://127.0.0.1:636
CLAIMGATE_TEST_LDAP_STARTTLS_URL=ldap://127.0.0.1:389
CLAIMGATE_TEST_LDAP_CA_FILE=$DIR/tls/ca.pem
CLAIMGATE_TEST_LDAP_BIND_DN=$SVC_DN
CLAIMGATE_TEST_LDAP_BIND_PASSWORD=$SVC_PASS
CLAIMGATE_TEST_LDAP_BASE_DN=$BASE_DN
CLAIMGATE_TEST_LDAP_NETBIOS=$DOMAIN
CLAIMGATE_TEST_LDAP_USER_PASSWORD=$USER_PASS
CLAIMGATE_SAMBA_SMBCONF=$DIR/etc/smb.conf
ENV
	chmod 600 "$DIR/env.tmp"
	mv "$DIR/env.tmp" "$DIR/env"
}

SVC_DN="CN=$SVC_USER,CN=Users,$BASE_DN"
mkdir -p "$DIR"
chmod 700 "$DIR"
touch "$DIR/.claimgate-samba"
install_packages
make_certs
provision
start
seed
lock_erin
write_env
log "ready: CLAIMGATE_SAMBA_ENV=$DIR/env"
echo "$DIR/env"
