package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFile bounds the configuration file; real ones are a few kilobytes.
const maxFile = 1 << 20

// Load reads, strictly decodes, defaults and validates the configuration
// file at path. env looks up environment variables for secrets written as
// {env: NAME}; nil means os.Getenv. Relative paths in the file are taken
// relative to the file's directory.
//
// Every problem is reported at once as a *ValidationError: unknown keys,
// values of the wrong type, unparsable durations or networks, unresolvable
// secrets and rule violations, each with its path and line.
func Load(path string, env func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("config: %s is larger than %d bytes", path, maxFile)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if env == nil {
		env = os.Getenv
	}
	return parse(path, data, filepath.Dir(abs), env)
}

func parse(name string, data []byte, baseDir string, env func(string) string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("config: %s is empty", name)
	}
	lines := indexLines(&root)

	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var decodeProbs []Problem
	if err := dec.Decode(&fc); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("config: %s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		// A TypeError means decoding went on past each bad key or value:
		// report them all alongside the validation problems.
		dup := false
		for _, msg := range te.Errors {
			decodeProbs = append(decodeProbs, lines.decodeProblem(msg))
			dup = dup || strings.Contains(msg, "already defined at line")
		}
		if dup {
			// yaml.v3 drops the whole mapping holding a repeated key, so
			// validating what is left would report phantom problems.
			return nil, &ValidationError{File: name, Problems: decodeProbs}
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		decodeProbs = append(decodeProbs, Problem{Message: "the file holds more than one YAML document (---); claimgate reads one", Line: extra.Line})
	}

	if c := lines.comments["branding.primary_color"]; reColor.MatchString(strings.Fields(c + " x")[0]) {
		decodeProbs = append(decodeProbs, Problem{Path: "branding.primary_color",
			Message: "put the colour in quotes, e.g. \"" + c[:7] + "\": unquoted, YAML reads # as the start of a comment"})
	}
	b := &builder{env: env, baseDir: baseDir}
	cfg := b.build(&fc)
	all := merge(append(decodeProbs, b.probs...), cfg.Validate())
	if len(all) > 0 {
		for i := range all {
			if all[i].Line == 0 {
				all[i].Line = lines.lineOf(all[i].Path)
			}
		}
		// Within a section, in the order the file is written.
		sort.SliceStable(all, func(i, j int) bool {
			ri, rj := sectionRank(all[i].Path), sectionRank(all[j].Path)
			return ri < rj || ri == rj && all[i].Line < all[j].Line
		})
		return nil, &ValidationError{File: name, Problems: all}
	}
	return cfg, nil
}

// lineIndex maps YAML paths to the lines they are written on.
type lineIndex struct {
	byPath map[string]int
	// comments holds the line comment after a key whose value is empty:
	// `primary_color: #1f5fa8` is a key without value and a comment.
	comments map[string]string
	byLine   map[int][]lineEntry // every key or value starting on a line, outer first
}

type lineEntry struct{ path, key string }

func indexLines(root *yaml.Node) *lineIndex {
	ix := &lineIndex{byPath: map[string]int{}, byLine: map[int][]lineEntry{}, comments: map[string]string{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				ix.byPath[p] = k.Line
				ix.byLine[k.Line] = append(ix.byLine[k.Line], lineEntry{p, k.Value})
				if v.Tag == "!!null" && v.Value == "" {
					ix.comments[p] = v.LineComment + k.LineComment
				}
				if v.Line != k.Line {
					ix.byLine[v.Line] = append(ix.byLine[v.Line], lineEntry{p, ""})
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := index(path, i)
				ix.byPath[p] = c.Line
				ix.byLine[c.Line] = append(ix.byLine[c.Line], lineEntry{p, ""})
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return ix
}

// lineOf finds the line of path or of its nearest written ancestor (a
// missing key is reported at the section that lacks it).
func (ix *lineIndex) lineOf(path string) int {
	for path != "" {
		if l, ok := ix.byPath[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var (
	reLine    = regexp.MustCompile(`^line (\d+): (.*)$`)
	reUnknown = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	reDup     = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reType    = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
)

// decodeProblem turns a yaml.v3 type error line into a Problem with a path
// and a message that does not mention Go types.
func (ix *lineIndex) decodeProblem(msg string) Problem {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Message: msg}
	}
	line, _ := strconv.Atoi(m[1])
	p := Problem{Line: line, Message: m[2]}
	entries := ix.byLine[line]
	if u := reUnknown.FindStringSubmatch(m[2]); u != nil {
		p.Message = fmt.Sprintf("unknown key %q", u[1])
		for _, e := range entries {
			if e.key == u[1] {
				p.Path = e.path
			}
		}
		return p
	}
	if d := reDup.FindStringSubmatch(m[2]); d != nil {
		p.Message = fmt.Sprintf("written twice (first at line %s)", d[2])
		for _, e := range entries {
			if e.key == d[1] {
				p.Path = e.path
			}
		}
		return p
	}
	// The value of a key has the wrong type: name the innermost key on
	// the line (flow mappings put several on one line), else the item.
	for _, e := range entries {
		if e.key != "" {
			p.Path = e.path
		}
	}
	if p.Path == "" && len(entries) > 0 {
		p.Path = entries[len(entries)-1].path
	}
	if t := reType.FindStringSubmatch(m[2]); t != nil {
		p.Message = typeMessage(t[1], t[3])
	}
	return p
}

func typeMessage(yamlTag, goType string) string {
	got := map[string]string{"!!seq": "a list", "!!map": "a mapping", "!!str": "text", "!!int": "a number",
		"!!bool": "true/false", "!!float": "a number", "!!null": "empty"}[yamlTag]
	if got == "" {
		got = yamlTag
	}
	var want string
	switch {
	case goType == "string":
		want = "a single value"
	case goType == "int":
		want = "a whole number"
	case goType == "bool" || goType == "*bool":
		want = "true or false"
	case strings.HasPrefix(goType, "[]"):
		want = "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "*config."):
		want = "a mapping of keys"
	case goType == "*int":
		want = "a whole number"
	default:
		want = "a different kind of value"
	}
	return fmt.Sprintf("must be %s, not %s", want, got)
}
