package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// Catalog maps message keys to text in one language.
type Catalog map[string]string

// T returns the text for key, or the key itself so a gap is visible but
// harmless. New makes sure no page uses a missing key.
func (c Catalog) T(key string) string {
	if v, ok := c[key]; ok {
		return v
	}
	return key
}

// missingAware returns a T that reports a missing key (once per page and
// key) as a start-up error.
func (c Catalog) missingAware(page string, missing func(page, key string)) func(string) string {
	return func(key string) string {
		v, ok := c[key]
		if !ok {
			missing(page, key)
			return key
		}
		return v
	}
}

// loadCatalog reads messages/en.json and then, for another language, its
// own file on top, so a partial translation falls back to English. With
// an override directory each file is read from the embedded set first and
// from the directory on top, so an override only needs the messages it
// changes (and keeps working when a release adds keys).
func loadCatalog(files fs.FS, lang string) (Catalog, error) {
	type layer struct {
		fsys  fs.FS
		where string // for error messages
	}
	layers := []layer{{files, ""}}
	if o, ok := files.(overlay); ok {
		layers = []layer{{o.base, ""}, {o.top, " (override directory)"}}
	}
	cat := Catalog{}
	read := func(name string) error {
		found := false
		for _, l := range layers {
			b, err := fs.ReadFile(l.fsys, "messages/"+name+".json")
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("templates: messages/%s.json%s: %w", name, l.where, err)
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return fmt.Errorf("templates: messages/%s.json%s: %w", name, l.where, err)
			}
			for k, v := range m {
				cat[k] = v
			}
			found = true
		}
		if !found {
			return fmt.Errorf("templates: messages/%s.json: %w", name, fs.ErrNotExist)
		}
		return nil
	}
	if err := read("en"); err != nil {
		return nil, err
	}
	if lang != "en" {
		if err := read(lang); err != nil {
			return nil, err
		}
	}
	return cat, nil
}
