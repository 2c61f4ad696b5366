// Package testutil holds helpers shared by tests: a headless Chromium
// driven by chromedp, the oathtool reference implementation of TOTP/HOTP,
// and free loopback ports. Only _test files import it.
package testutil
