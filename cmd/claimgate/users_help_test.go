package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestUsersHelpListsEachActionsOptions: for every `users` action, -h
// prints its own usage line and lists exactly the options the action's
// FlagSet accepts: each listed one parses (the command gets as far as
// loading the configuration), each option of another action is refused
// with exit 2, and every option in the usage line is listed. Every action
// of the overview has its help. Before, `users totp-add -h` printed the
// overview and every option of every action, none as --name.
func TestUsersHelpListsEachActionsOptions(t *testing.T) {
	values := map[string]string{"ttl": "1h", "limit": "5", "assign": "S=alice"}
	all := map[string]bool{}
	for _, a := range usersActions {
		for _, f := range a.flags {
			all[f] = true
		}
	}
	option := regexp.MustCompile(`(?m)^  --([a-z-]+) `)
	inSynopsis := regexp.MustCompile(`--([a-z-]+)`)
	for _, action := range slices.Sorted(maps.Keys(usersActions)) {
		t.Run(action, func(t *testing.T) {
			a := usersActions[action]
			code, out, errOut := runCmd(t, "", nil, "users", action, "-h")
			if code != 0 || !strings.HasPrefix(out, "Usage: claimgate users "+a.synopsis+"\n") || errOut != "" {
				t.Fatalf("-h: exit %d\n%s%s", code, out, errOut)
			}
			var listed []string
			for _, m := range option.FindAllStringSubmatch(out, -1) {
				listed = append(listed, m[1])
			}
			want := slices.Sorted(slices.Values(append([]string{"config"}, a.flags...)))
			if !slices.Equal(listed, want) {
				t.Errorf("-h lists %v, want %v:\n%s", listed, want, out)
			}
			for _, m := range inSynopsis.FindAllStringSubmatch(a.synopsis, -1) {
				if !slices.Contains(listed, m[1]) {
					t.Errorf("usage line names --%s, which -h does not list", m[1])
				}
			}
			for _, f := range listed {
				if f != "config" && !strings.Contains(a.synopsis, "--"+f) {
					t.Errorf("-h lists --%s, which the usage line does not show", f)
				}
			}
			// Accepted: parsing passes and the missing file is the error.
			args := []string{"users", action, "alice", "--config", "/nonexistent/claimgate.yaml"}
			for _, f := range a.flags {
				v := values[f]
				if v == "" {
					v = "x"
				}
				args = append(args, "--"+f, v)
			}
			if code, _, errOut := runCmd(t, "", nil, args...); code != 1 || !strings.Contains(errOut, "/nonexistent/claimgate.yaml") {
				t.Errorf("%v: exit %d, want the configuration error\n%s", args[1:], code, errOut)
			}
			// Refused: an option of another action.
			for f := range all {
				if slices.Contains(a.flags, f) {
					continue
				}
				v := values[f]
				if v == "" {
					v = "x"
				}
				code, _, errOut := runCmd(t, "", nil, "users", action, "alice", "--config", "/nonexistent/claimgate.yaml", "--"+f, v)
				if code != 2 || !strings.Contains(errOut, "users "+action+" does not take --"+f) {
					t.Errorf("--%s: exit %d, want 2\n%s", f, code, errOut)
				}
			}
		})
	}
	// The overview names no action without its own help.
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+) `).FindAllStringSubmatch(usersUsage, -1) {
		if _, ok := usersActions[m[1]]; !ok {
			t.Errorf("users overview lists %q, which has no help", m[1])
		}
	}
}
