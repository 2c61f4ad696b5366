package templates

import (
	"encoding/json"
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

// missingAware returns a T that records a missing key as a start-up error.
func (c Catalog) missingAware(errs *[]error, page string) func(string) string {
	seen := map[string]bool{}
	return func(key string) string {
		v, ok := c[key]
		if !ok && !seen[key] {
			seen[key] = true
			*errs = append(*errs, fmt.Errorf("templates: html/%s uses message %q, which messages/*.json lacks", page, key))
			return key
		}
		return v
	}
}

// loadCatalog reads messages/en.json and then, for another language, its
// own file on top, so a partial translation falls back to English.
func loadCatalog(files fs.FS, lang string) (Catalog, error) {
	cat := Catalog{}
	read := func(name string) error {
		b, err := fs.ReadFile(files, "messages/"+name+".json")
		if err != nil {
			return fmt.Errorf("templates: messages/%s.json: %w", name, err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("templates: messages/%s.json: %w", name, err)
		}
		for k, v := range m {
			cat[k] = v
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
