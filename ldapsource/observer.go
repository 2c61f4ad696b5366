package ldapsource

import "time"

// Observer is told about every request claimgate makes to a domain
// controller, for metrics. server is the configured URL (one of
// Config.URLs), op is OpConnect, OpSearch or OpBind, d how long it took.
// err is nil when the server answered, even with an LDAP result such as
// invalidCredentials or noSuchObject: those are answers, and a wrong
// password is not a directory failure. It is non-nil when the server did
// not serve the request: no connection, TLS or service-account bind
// failed, a timeout, a dropped connection. Requests abandoned because the
// caller's context ended are not reported. Calls come from many
// goroutines and must not block.
type Observer interface {
	ObserveRequest(server, op string, d time.Duration, err error)
}

// The operations an Observer is told about.
const (
	// OpConnect opens a connection: TCP, TLS (LDAPS or StartTLS) and, for
	// the service pool, the service-account bind.
	OpConnect = "connect"
	// OpSearch is one search as the service account.
	OpSearch = "search"
	// OpBind is one bind as a user (the password check).
	OpBind = "bind"
)

// observe reports one request to cfg.Observer, if there is one.
func (cfg *Config) observe(server, op string, start time.Time, err error) {
	if cfg.Observer != nil {
		cfg.Observer.ObserveRequest(server, op, time.Since(start), err)
	}
}
