// Package lockout is claimgate's throttling and lockout policy: pure logic
// over the store's counters (the Counters interface), with the time passed in.
//
// The flow for every credential a user submits (password, app password, or
// second-factor code):
//
//	Reserve(user, addr, kind, now) -> refused: show the same page as a wrong password, check nothing
//	                                  allowed: the attempt is already counted
//	(verify the credential)
//	Fail(reservation)              -> wrong: the count stays; returns the locks it imposed, for audit
//	Pass(reservation)              -> right (or not checkable): the attempt is given back
//	Succeed(user, addr, now)       -> after the whole sign-in: the address becomes familiar
//
// Reserve counts before the check, each counter in one store operation
// that compares the count with its limit and refuses while the counter's
// lock is in force (TakeAttempt), so no burst of parallel attempts gets
// past a limit, however many processes share the store. One exception: an
// attempt from an address familiar to its user counts towards the address
// limit only when it fails (Fail), so many users behind one NAT can sign in
// at once; a spray's attempts are unfamiliar to their victims and stay
// counted before they are checked.
//
// The locks:
//
//  1. (user, address) pair: MaxFailures failures of one user from one address
//     within Window lock that pair for BaseLockout, doubling on each lock that
//     follows without a quiet Window, capped at MaxLockout.
//  2. address: PerAddressMaxFailures failures from one address across all
//     users lock the address (password spraying), with the same growth.
//  3. user, for unfamiliar addresses (AD FS extranet smart lockout): an
//     address is familiar for a user for KnownAddressFor after a whole
//     sign-in from it. Failures from all unfamiliar addresses together are
//     counted per user and kind: UnfamiliarMaxPasswords wrong passwords or
//     UnfamiliarMaxCodes wrong codes within Window lock the user for every
//     unfamiliar address for UserLockout, doubling up to UserMaxLockout. So
//     does UserLockAddresses distinct addresses each starting a pair-lock
//     episode. Familiar addresses are never refused by this lock and their
//     failures do not count towards it: the real user keeps working through
//     a distributed attack.
//
// IPv6 addresses count per /64. Succeed clears only the pair: address-wide
// and user-wide counters are not reset by a success, or an attacker could
// reset them with an account of their own. The familiar-address markers are
// stored as lock records with level 0 under their own key prefix.
//
// docs/security-lockout.md explains the trade-offs for operators.
//
// ClientAddr derives the client address from the TCP peer and
// X-Forwarded-For, honouring the header only from trusted proxies.
package lockout
