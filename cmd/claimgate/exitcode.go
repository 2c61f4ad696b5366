package main

import (
	"errors"

	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
)

// exitConfig is EX_CONFIG (sysexits.h): serve exits with it when it
// cannot start because of its configuration or what the configuration
// names (a missing file, a wrong key password, an HSM PIN, token or key
// label that does not work, a template or language file that does not
// load, an encryption key that is not the database's). Restarting cannot cure that, and restarting
// with a wrong HSM PIN would try the PIN again every RestartSec until the
// token locks, so the systemd unit says RestartPreventExitStatus=78. Any
// other failure (the store, the listener, an HSM that does not answer)
// keeps exit status 1, which systemd restarts.
const exitConfig = 78

// startFailed reports why serve could not start and returns its exit
// status.
func startFailed(e *env, err error) int {
	fail(e, "%v", err)
	if isConfigError(err) {
		return exitConfig
	}
	return 1
}

func isConfigError(err error) bool {
	var v *config.ValidationError
	return errors.As(err, &v) || app.IsStartupConfigError(err)
}
