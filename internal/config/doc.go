// Package config owns claimgate's configuration file: its YAML schema,
// strict decoding, defaults, secrets and validation.
//
// The flow:
//
//	YAML file ──strict decode──> file layer (strings, as written)
//	          ──build──────────> Config (durations, networks, secrets
//	                             resolved, relative paths made absolute,
//	                             defaults applied)
//	          ──Validate───────> []Problem, every one with its path
//
// Load runs all three and returns either a Config or one
// *ValidationError listing every problem: unknown keys, wrong types, bad
// values and broken rules, each as "path: message (line N)". Nothing
// stops at the first problem, so an administrator fixes a file in one
// round.
//
// Secrets (passwords, tokens, keys) are written as a value, as
// {env: NAME} or as {file: PATH}; they are resolved at load and held in
// Secret, which prints as "[redacted]" however it is formatted. Problem
// messages name the variable or file, never the value.
//
// Validate checks shape and rules only. CheckFiles reports missing files,
// and LoadSigning loads the signing keys through package certs, attributing
// each failure to its configuration path.
package config
