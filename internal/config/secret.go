package config

import (
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

const redacted = "[redacted]"

// Secret is a password, token or key. Its value is read only through
// Value; printing a Secret in any way (fmt verbs, JSON, YAML) shows
// "[redacted]", so a logged Config never leaks one.
type Secret struct {
	value  string
	source string
}

// NewSecret wraps a value given in code (tests, the demo).
func NewSecret(value string) Secret { return Secret{value: value, source: "value"} }

// Value returns the secret itself.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a value was configured.
func (s Secret) IsSet() bool { return s.value != "" }

// Source says where the value came from ("value", "env NAME", "file
// PATH"); safe to log.
func (s Secret) Source() string { return s.source }

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) Format(f fmt.State, _ rune)   { io.WriteString(f, redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) MarshalYAML() (any, error)    { return redacted, nil }

// secretSpec is a secret as written in the file: a plain value, or a
// mapping {env: NAME} or {file: PATH}. Decoding never fails: a malformed
// spec is kept as a problem so build reports it with its path.
type secretSpec struct {
	set     bool
	value   string
	env     string
	file    string
	problem string
}

func (s *secretSpec) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		s.set, s.value = true, n.Value
	case yaml.MappingNode:
		s.set = true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				s.problem = fmt.Sprintf("%s must be a string", k.Value)
				return nil
			}
			switch k.Value {
			case "env":
				s.env = v.Value
			case "file":
				s.file = v.Value
			default:
				s.problem = fmt.Sprintf("unknown key %q: a secret is written as a value, as {env: NAME} or as {file: PATH}", k.Value)
				return nil
			}
		}
		if (s.env == "") == (s.file == "") {
			s.problem = "give exactly one of env: NAME or file: PATH"
		}
	default:
		s.set, s.problem = true, "must be a value, {env: NAME} or {file: PATH}"
	}
	return nil
}

// maxSecretFile bounds what a secret file may hold: secrets are short,
// and a wrong path (a log, a disk image) must not be read into memory.
const maxSecretFile = 64 << 10

// resolve turns a spec into a Secret, reporting problems at path. The
// messages name the variable or file, never the value.
func (b *builder) secret(path string, s secretSpec) Secret {
	switch {
	case !s.set:
		return Secret{}
	case s.problem != "":
		b.probs.add(path, "%s", s.problem)
		return Secret{}
	case s.env != "":
		v := b.env(s.env)
		if v == "" {
			b.probs.add(path, "environment variable %s is not set or is empty", s.env)
			return Secret{}
		}
		return Secret{value: v, source: "env " + s.env}
	case s.file != "":
		name := b.path(s.file)
		f, err := os.Open(name)
		if err != nil {
			b.probs.add(path, "cannot read secret file: %v", err)
			return Secret{}
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
		if err != nil {
			b.probs.add(path, "cannot read secret file %s: %v", name, err)
			return Secret{}
		}
		if len(data) > maxSecretFile {
			b.probs.add(path, "secret file %s is larger than %d bytes; is it the right file?", name, maxSecretFile)
			return Secret{}
		}
		// Editors and `echo` add one newline; the secret does not include it.
		v, crlf := strings.CutSuffix(string(data), "\r\n")
		if !crlf {
			v = strings.TrimSuffix(v, "\n")
		}
		if v == "" {
			b.probs.add(path, "secret file %s is empty", name)
			return Secret{}
		}
		return Secret{value: v, source: "file " + name}
	default:
		return Secret{value: s.value, source: "value"}
	}
}
