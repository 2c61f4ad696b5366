// Package metrics is claimgate's Prometheus instrumentation: one registry
// of its own (never the client library's global one) with the Go runtime
// and process collectors, the collectors below, and the handler the
// metrics listener serves.
//
// # Where the numbers come from
//
//	audit record ──► Audit (an audit.Appender in front of the store's)
//	                   ├─ first/second_factor_ok|failed ► claimgate_signins_total{factor,outcome}
//	                   │                                  claimgate_signin_failures_total{factor,reason}
//	                   ├─ token_issued ───────────────► claimgate_tokens_issued_total{relying_party,factors}
//	                   ├─ lockout ────────────────────► claimgate_lockouts_total{scope}
//	                   └─ every record ───────────────► claimgate_audit_events_total{event,outcome}
//	ldapsource.Observer ► ObserveRequest ─► claimgate_directory_request_duration_seconds{server,op}
//	                                        claimgate_directory_errors_total{server,op}
//	store.Store ──► Store (decorator) ──► claimgate_store_operation_duration_seconds{operation}
//	                                      claimgate_store_errors_total{operation}
//	server.Options.Observe ► ObserveHTTP ► claimgate_http_request_duration_seconds{route,method,status}
//	Publish(State) ── read at each scrape ► claimgate_signing_certificate_expiry_timestamp_seconds{thumbprint,role}
//	                                        claimgate_rp_metadata_last_success_timestamp_seconds{relying_party}
//	                                        claimgate_rp_metadata_usable{relying_party}
//	                                        claimgate_directory_up
//
// Sign-ins are counted from the audit stream, so the events that are
// audited are exactly the ones counted: there is no second set of call
// sites to keep in step with the login flow.
//
// # Label values are finite
//
// No label ever carries a user name, an address, a raw path or anything
// else a client chooses. Every label value comes from a fixed list
// (events, outcomes, factors, reasons, lock scopes, HTTP methods, status
// classes, store operations), from the configuration (relying-party
// names, LDAP URLs, certificate thumbprints) or from the router's route
// patterns; anything else becomes "other" (an unmatched route
// "unmatched"). A Metrics lives for the whole process, across
// configuration reloads; the values that describe one configuration
// (certificates, metadata sources, the directory probe) are read at scrape
// time from the newest State published, so nothing of a replaced
// configuration lingers.
//
// A nil *Metrics is valid and does nothing: every method returns its input
// or a no-op, so metrics switched off cost nothing.
package metrics
