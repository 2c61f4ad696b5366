// Package userfile is claimgate's embedded default directory: users,
// their SIDs and groups, and password hashes, kept in one YAML file. It is
// for the demo, small sites and tests; Active Directory over LDAP
// (package ldapsource) answers the same contract for real deployments.
//
// The flow it owns:
//
//	Load(path): read (size-capped) -> strict YAML decode (unknown keys are errors)
//	            -> Validate: every problem, with its path (users[2].sid: not a SID)
//	            -> index users by sAMAccountName and UPN, pick a dummy hash
//	Authenticate(ctx, name, password): resolve "sam", "DOMAIN\sam" or "upn"
//	            case-insensitively -> check the argon2id/bcrypt hash -> Identity
//	Lookup(ctx, name): the same without a password (app passwords, token issuance)
//	TOTPSecret(name): the user's TOTP seed for the login flow's second step
//	Write(path, f): validate, then replace the file atomically with mode 0600
//
// An unknown user costs the same as a wrong password: the password is
// still checked, against a dummy hash with the parameters most users' hashes
// have, so response time does not reveal which user names exist. The
// reason (unknown user, bad password, disabled) goes to the caller for
// logs and audit; users only ever see one generic message.
//
// The file is read once; a changed file takes effect on restart.
package userfile
