package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
)

//go:embed html/*.html static/* messages/*.json
var embedded embed.FS

// Pages every Set must have; New fails when one is missing.
const (
	PageLogin     = "login.html"
	PageCode      = "code.html"
	PageChoose    = "choose.html"
	PageEnrol     = "enrol.html"
	PageError     = "error.html"
	PageAutoPost  = "autopost.html"
	PageSignedOut = "signedout.html"
	PageDemo      = "demo.html"
	PageDemoToken = "demo_token.html"
	PageDemoSAML2 = "demo_saml2.html"
	PageInfo      = "info.html"
)

var pageNames = []string{PageLogin, PageCode, PageChoose, PageEnrol, PageError, PageAutoPost, PageSignedOut, PageDemo, PageDemoToken, PageDemoSAML2, PageInfo, PageSigningOut, PageSignOutConfirm}

// Branding is what an organisation may change without touching templates.
type Branding struct {
	ProductName  string // shown in titles and headings; default "claimgate"
	PrimaryColor string // #rrggbb, validated by config; default #1f4e79
	HasLogo      bool   // a logo is served at /static/logo
}

// Options configure a Set.
type Options struct {
	// Dir, when set, overrides embedded files by relative path:
	// html/login.html, static/style.css, messages/en.json, ... A messages
	// file there is laid over the embedded one, so it need only hold the
	// messages it changes.
	Dir string
	// Language selects messages/<Language>.json; default "en".
	Language string
	Branding Branding
}

// Set is the parsed pages, the catalogue and the assets. It is safe for
// concurrent use.
type Set struct {
	pages    map[string]*template.Template
	files    fs.FS
	catalog  Catalog
	branding Branding
}

// New parses every page once. It fails with every problem listed when a
// template is missing, does not parse, or uses a message key the catalogue
// lacks.
func New(opts Options) (*Set, error) {
	if opts.Language == "" {
		opts.Language = "en"
	}
	if opts.Branding.ProductName == "" {
		opts.Branding.ProductName = "claimgate"
	}
	if opts.Branding.PrimaryColor == "" {
		opts.Branding.PrimaryColor = "#1f4e79"
	}
	var files fs.FS = embedded
	if opts.Dir != "" {
		if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("templates: override directory %q is not a readable directory", opts.Dir)
		}
		files = overlay{top: os.DirFS(opts.Dir), base: embedded}
	}
	cat, err := loadCatalog(files, opts.Language)
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}, files: files, catalog: cat, branding: opts.Branding}
	layout, err := fs.ReadFile(files, "html/layout.html")
	if err != nil {
		return nil, fmt.Errorf("templates: html/layout.html: %w", err)
	}
	var errs []error
	reported := map[[2]string]bool{}
	missing := func(page, key string) {
		if !reported[[2]string{page, key}] {
			reported[[2]string{page, key}] = true
			errs = append(errs, fmt.Errorf("templates: html/%s uses message %q, which messages/*.json lacks", page, key))
		}
	}
	for _, name := range pageNames {
		body, err := fs.ReadFile(files, path.Join("html", name))
		if err != nil {
			errs = append(errs, fmt.Errorf("templates: html/%s: %w", name, err))
			continue
		}
		t := template.New(name).Funcs(template.FuncMap{
			"T":     cat.missingAware(name, missing),
			"brand": func() Branding { return s.branding },
		})
		if _, err := t.Parse(string(layout)); err != nil {
			errs = append(errs, fmt.Errorf("templates: html/layout.html: %w", err))
			continue
		}
		if _, err := t.Parse(string(body)); err != nil {
			errs = append(errs, fmt.Errorf("templates: html/%s: %w", name, err))
			continue
		}
		for _, k := range literalKeys(t) {
			if _, ok := cat[k]; !ok {
				missing(name, k)
			}
		}
		s.pages[name] = t
	}
	if err := s.dryRun(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Message lookups are now known to succeed; switch T to the plain form.
	for _, t := range s.pages {
		t.Funcs(template.FuncMap{"T": cat.T})
	}
	return s, nil
}

// dryRun executes every page with empty data so that message keys used by
// the templates are resolved (and reported) at start-up.
func (s *Set) dryRun() error {
	for name, t := range s.pages {
		if err := t.ExecuteTemplate(io.Discard, "page", emptyData(name)); err != nil {
			return fmt.Errorf("templates: html/%s: %w", name, err)
		}
	}
	return nil
}

// Render executes page with data into w. The page is rendered into a buffer
// first so a template error never leaves half a page on the wire.
func (s *Set) Render(w io.Writer, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("templates: no page %q", page)
	}
	// A page that fails halfway must not reach w: into a buffer of the
	// caller's (the login flow keeps a pool of them) directly, cut back
	// on failure; into one of its own for any other writer.
	if b, ok := w.(*bytes.Buffer); ok {
		n := b.Len()
		if err := t.ExecuteTemplate(b, "page", data); err != nil {
			b.Truncate(n)
			return fmt.Errorf("templates: render %s: %w", page, err)
		}
		return nil
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "page", data); err != nil {
		return fmt.Errorf("templates: render %s: %w", page, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// T returns the message for key in the configured language.
func (s *Set) T(key string) string { return s.catalog.T(key) }

// Static returns an asset from static/ (embedded or overridden) by name.
func (s *Set) Static(name string) ([]byte, error) {
	if name == "" || path.Clean(name) != name || name[0] == '.' || path.IsAbs(name) {
		return nil, fs.ErrNotExist
	}
	return fs.ReadFile(s.files, path.Join("static", name))
}

// Branding returns the branding in force.
func (s *Set) Branding() Branding { return s.branding }

// overlay reads from top first and falls back to base.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if f, err := o.top.Open(name); err == nil {
		return f, nil
	}
	return o.base.Open(name)
}
