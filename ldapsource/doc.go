// Package ldapsource is claimgate's Active Directory directory: it finds a
// user over LDAP, checks the password by binding as that user, and reads
// the identity (UPN, objectSid, groups from tokenGroups) that tokens are
// built from.
//
// # Flow of one sign-in
//
//	Authenticate(ctx, "EXAMPLE\\alice", pw)
//	  ├─ refuse an empty password (an empty simple bind is an anonymous bind)
//	  ├─ parseLogin: sam | DOMAIN\sam | UPN  → (&UserFilter(attr=escaped))
//	  ├─ service pool: subtree search under BaseDN, exactly one entry
//	  ├─ the service account's own entry (BindDN) → unknown user, as if none
//	  ├─ accountState: disabled / locked / account expired → Rejected
//	  ├─ bind pool: simple bind as the user's DN → AD "data 52e" etc → Rejected
//	  ├─ passwordState: must change / expired (belt and braces after the bind)
//	  └─ service pool: base-scope read of tokenGroups → claims.Identity
//
// Lookup is the same without the two bind steps and the password checks.
//
// # Connections
//
// Two pools of long-lived connections, both health-checked on reuse:
// the service pool holds connections bound as the service account (all
// searches run there), the bind pool holds connections used only for user
// binds. A user bind changes a connection's identity, so keeping user binds
// on their own connections means a search never runs as the wrong account
// and no re-bind as the service account is paid per sign-in. A connection
// is opened by trying the configured URLs in order (or round robin);
// a server that refuses, times out or drops is marked dead for RetryAfter
// and tried last until then.
//
// Every error that is not a *claims.RejectedError means the directory
// could not answer (outage, timeout, misconfiguration): the login flow
// shows "try again later" for those.
package ldapsource
