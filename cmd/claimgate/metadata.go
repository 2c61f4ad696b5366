package main

import (
	"os"

	"github.com/claimgate/claimgate/internal/app"
)

func runMetadata(e *env, args []string) int {
	fs := newFlags(e, "metadata", "metadata --config FILE [--out FILE]", `
Prints the signed federation metadata exactly as claimgate serves it at
/FederationMetadata/2007-06/FederationMetadata.xml. Give the file to AD FS
with Add-AdfsClaimsProviderTrust -MetadataFile when AD FS cannot reach
claimgate's URL.`)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	out := fs.String("out", "", "write to this file instead of standard output")
	if code, done := fs.parse(args); done {
		return code
	}
	cfg, code := loadConfig(e, "metadata", *cfgPath)
	if cfg == nil {
		return code
	}
	keys, err := cfg.LoadSigning()
	if err != nil {
		return fail(e, "%v", err)
	}
	md, err := app.BuildMetadata(cfg, keys)
	if err != nil {
		return fail(e, "metadata: %v", err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, md, 0o644); err != nil {
			return fail(e, "metadata: %v", err)
		}
		return 0
	}
	_, _ = e.stdout.Write(md)
	return 0
}
