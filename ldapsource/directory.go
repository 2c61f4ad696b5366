package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// Directory is Active Directory over LDAP. It is safe for concurrent use.
type Directory struct {
	cfg   Config
	log   *slog.Logger
	conn  *connector
	svc   *pool // bound as the service account: all searches
	binds *pool // user binds only

	svcAccount serviceAccount // BindDN's entry: never resolved as a user

	mu      sync.Mutex
	netbios map[string]string // domain DN (lower case) -> NetBIOS name
}

// The contract the login flow consumes (declared there); pinned here.
var _ interface {
	Authenticate(context.Context, string, string) (claims.Identity, error)
	Lookup(context.Context, string) (claims.Identity, error)
} = (*Directory)(nil)

// New validates cfg (reporting every problem at once) and returns a
// Directory. It does not connect: connections are opened on first use,
// so claimgate starts even while the domain controllers are down. Use
// Check to test connectivity.
func New(cfg Config) (*Directory, error) {
	cfg, roots, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("ldapsource: invalid configuration:\n%w", err)
	}
	c := newConnector(cfg, roots)
	return &Directory{
		cfg: cfg, log: cfg.Logger, conn: c,
		svc:     newPool(c, true, cfg.PoolSize),
		binds:   newPool(c, false, cfg.PoolSize),
		netbios: map[string]string{},

		svcAccount: parseServiceAccount(cfg.BindDN),
	}, nil
}

// Close closes all pooled connections; later calls fail.
func (d *Directory) Close() error {
	d.svc.close()
	d.binds.close()
	return nil
}

// Authenticate finds the user, refuses disabled, locked and expired
// accounts, checks the password with a bind as the user and returns the
// identity. Refusals are *claims.RejectedError; other errors mean the
// directory could not be asked.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (claims.Identity, error) {
	if password == "" {
		// An LDAP simple bind with a DN and no password is an
		// "unauthenticated bind" that many servers accept: never send it.
		return claims.Identity{}, d.rejected(username, claims.Rejected(claims.ReasonBadPassword, "empty password"))
	}
	e, facts, err := d.find(ctx, username)
	if err != nil {
		return claims.Identity{}, err
	}
	err = d.binds.with(ctx, func(c *conn) error {
		return run(ctx, c.Conn, d.cfg.BindTimeout, func() error { return c.Bind(e.DN, password) })
	})
	if err != nil {
		if rej := bindError(err); rej != err {
			return claims.Identity{}, d.rejected(username, rej)
		}
		d.log.Warn("ldap user bind failed", "user", username, "err", err)
		return claims.Identity{}, fmt.Errorf("ldapsource: bind as user: %w", err)
	}
	if err := passwordState(facts); err != nil {
		return claims.Identity{}, d.rejected(username, err)
	}
	return d.identity(ctx, e)
}

// Lookup finds the user without a password and returns the identity;
// disabled, locked and expired accounts are refused as in Authenticate.
func (d *Directory) Lookup(ctx context.Context, username string) (claims.Identity, error) {
	e, _, err := d.find(ctx, username)
	if err != nil {
		return claims.Identity{}, err
	}
	return d.identity(ctx, e)
}

// find resolves a login name to exactly one user entry that may sign in.
// Every path that resolves a user (Authenticate, Lookup, CheckUser,
// SpendCheck) goes through it, so the service account's refusal here
// covers them all.
func (d *Directory) find(ctx context.Context, username string) (*ldap.Entry, accountFacts, error) {
	l, err := parseLogin(username, d.cfg.allows)
	if err != nil {
		return nil, accountFacts{}, d.rejected(username, err)
	}
	if l.form == FormUPN && !d.cfg.upnSuffixAllowed(l.value) {
		return nil, accountFacts{}, d.rejected(username,
			claims.Rejected(claims.ReasonUnknownUser, "UPN suffix is not one of the configured upn_suffixes"))
	}
	if l.form == FormDomainSAM {
		want, err := d.netbiosFor(ctx, dcSuffix(d.cfg.BaseDN))
		if err != nil {
			return nil, accountFacts{}, err
		}
		if !strings.EqualFold(l.domain, want) {
			return nil, accountFacts{}, d.rejected(username,
				claims.Rejected(claims.ReasonUnknownUser, fmt.Sprintf("domain %q is not %q", l.domain, want)))
		}
	}
	req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, int(d.cfg.SearchTimeout.Seconds()), false, l.filter(d.cfg.UserFilter), d.userAttributes(), nil)
	res, err := d.search(ctx, req)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		err = nil // two entries arrived: ambiguous, decided below
	}
	if err != nil {
		d.log.Warn("ldap user search failed", "user", username, "err", err)
		return nil, accountFacts{}, fmt.Errorf("ldapsource: search user: %w", err)
	}
	// Referrals (other partitions, other domains) are not followed: the
	// configured BaseDN is the only place users are looked for.
	e, err := exactlyOne(res.Entries)
	if err == nil {
		// Before accountState: a disabled or locked service account must
		// not answer differently from a name that matches nothing either.
		err = d.refuseServiceAccount(ctx, e)
	}
	if err != nil {
		return nil, accountFacts{}, d.rejected(username, err)
	}
	facts, err := readFacts(e)
	if err != nil {
		return nil, accountFacts{}, fmt.Errorf("ldapsource: user %s: %w", e.DN, err)
	}
	if err := accountState(facts, d.cfg.Now()); err != nil {
		return nil, accountFacts{}, d.rejected(username, err)
	}
	return e, facts, nil
}

// exactlyOne never picks "the first" of several matches: a login name that
// matches two accounts is refused.
func exactlyOne(entries []*ldap.Entry) (*ldap.Entry, error) {
	switch len(entries) {
	case 0:
		return nil, claims.Rejected(claims.ReasonUnknownUser, "no matching entry")
	case 1:
		return entries[0], nil
	default:
		dns := ""
		for i, e := range entries {
			if i > 0 {
				dns += "; "
			}
			dns += e.DN
		}
		return nil, claims.Rejected(claims.ReasonAmbiguousUser, "several entries match: "+dns)
	}
}

func (d *Directory) search(ctx context.Context, req *ldap.SearchRequest) (*ldap.SearchResult, error) {
	var res *ldap.SearchResult
	err := d.svc.with(ctx, func(c *conn) error {
		return run(ctx, c.Conn, d.cfg.SearchTimeout, func() error {
			var err error
			res, err = c.Search(req)
			return err
		})
	})
	if res == nil {
		res = &ldap.SearchResult{}
	}
	return res, err
}

// rejected logs a refusal (the detail goes to the log, the user sees a
// generic message) and returns it.
func (d *Directory) rejected(username string, err error) error {
	var rej *claims.RejectedError
	if errors.As(err, &rej) {
		user := username
		if rej.Reason == claims.ReasonUnknownUser {
			// A name that matched no account may be a password typed into
			// the wrong field: it is not logged (the audit record keeps a
			// keyed token of it).
			user = "[unknown]"
		}
		d.log.Info("ldap sign-in rejected", "user", user, "reason", string(rej.Reason), "detail", rej.Detail)
	}
	return err
}
