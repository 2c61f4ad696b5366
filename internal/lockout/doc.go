// Package lockout is claimgate's throttling and lockout policy: pure logic
// over the store's counters (the Counters interface), with the time passed in.
//
// The flow for every credential a user submits (password, app password, or
// second-factor code):
//
//	Check(user, addr, now)  -> refused: show the same page as a wrong password, check nothing
//	(verify the credential)
//	Fail(user, addr, now)   -> on a wrong credential; returns the locks it imposed, for audit
//	Succeed(user, addr, now)-> after the whole sign-in succeeded
//
// Three kinds of lock, chosen so that a locked-out attacker cannot lock out
// the real user forever from one address:
//
//  1. (user, address) pair: MaxFailures failures of one user from one address
//     within Window lock that pair for BaseLockout, doubling on each lock that
//     follows without a quiet Window, capped at MaxLockout. This is what an
//     attacker at one address runs into; the real user at another address is
//     not affected.
//  2. address: PerAddressMaxFailures failures from one address across all
//     users lock the address (password spraying), with the same growth.
//  3. user-wide: only when UserLockAddresses (≥ 2) distinct addresses have each
//     started a pair-lock episode for the user within Window, the user is
//     locked from every address for UserLockout, doubling up to
//     UserMaxLockout. An address counts once per episode and an episode ends
//     only after a quiet Window, so one address can never trigger it; a
//     distributed attack can, and then denies the user at most
//     UserMaxLockout per lock. Addresses from which the user signed in
//     successfully in the last KnownAddressFor are exempt from this lock (not
//     from the other two), so the real user at their usual address keeps
//     working through a distributed attack.
//
// IPv6 addresses count per /64. Succeed clears only the pair: address-wide
// and user-wide counters are not reset by a success, or an attacker could
// reset them with an account of their own. The known-address markers are
// stored as lock records with level 0 under their own key prefix.
//
// docs/security-lockout.md explains the trade-offs for operators.
//
// ClientAddr derives the client address from the TCP peer and
// X-Forwarded-For, honouring the header only from trusted proxies.
package lockout
