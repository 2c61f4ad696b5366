// Package templates holds claimgate's pages: server-rendered HTML that works
// without JavaScript in the small embedded browsers of mobile clients, the
// static assets they use, and the message catalogue that gives every
// user-visible sentence a key, so a second language is a file and not a
// code change.
//
// Everything is embedded in the binary. An administrator may point
// Options.Dir at a directory that overrides any page, asset or message file
// by name (branding); pages are parsed once at start-up and a missing or
// broken template stops the start, never a request.
package templates
