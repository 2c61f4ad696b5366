package mfa

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// Gateway sends text messages through an HTTP SMS gateway. The request is
// described entirely by configuration, so any provider with an HTTP API
// fits without code. It is an HTTP client only.
//
// URL, every header value and BodyTemplate are text/templates executed
// with GatewayData: .Phone, .Code, .Message and .Token. Nothing is escaped
// implicitly: use the function that matches where the value goes:
//
//	{{json .Message}}     a JSON string literal, quotes included
//	{{form .Phone}}       a URL query or application/x-www-form-urlencoded value (also {{urlquery .Phone}})
//	{{xml .Message}}      XML character data / attribute value
//
// Header values (often an API token) and the body are never logged and
// never appear in an error.
type Gateway struct {
	URL          string
	Method       string // default POST
	Headers      map[string]string
	BodyTemplate string
	// Token is the gateway's API secret, available to the templates as
	// {{.Token}} so it need not be written in the configuration.
	Token string
	// Client is the HTTP client; nil means a new client per gateway with no
	// shared state.
	Client *http.Client
	// Timeout bounds one Send; 0 means 10 seconds.
	Timeout time.Duration

	// compiled is set by Validate so sends do not parse templates again.
	compiled *gatewayTemplates
}

// GatewayData is what the gateway's templates see.
type GatewayData struct{ Phone, Code, Message, Token string }

type gatewayTemplates struct {
	url     *template.Template
	headers map[string]*template.Template
	body    *template.Template
}

// GatewayFuncs are the escaping helpers offered to gateway templates;
// configuration validation uses the same ones.
func GatewayFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
		"form": url.QueryEscape,
		"xml": func(s string) (string, error) {
			var b strings.Builder
			err := xml.EscapeText(&b, []byte(s))
			return b.String(), err
		},
	}
}

// Validate checks the method and parses the templates once, at start-up,
// so a bad gateway configuration is reported before the first user needs
// a code, and sends do not parse again. Call it before the first send.
func (g *Gateway) Validate() error {
	c, err := g.compile()
	if err != nil {
		return err
	}
	g.compiled = c
	return nil
}

func (g *Gateway) compile() (*gatewayTemplates, error) {
	switch g.method() {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return nil, fmt.Errorf("sms gateway: unsupported method %q", g.Method)
	}
	parse := func(name, text string) (*template.Template, error) {
		t, err := template.New(name).Funcs(GatewayFuncs()).Option("missingkey=error").Parse(text)
		if err != nil {
			// The text may hold a token: name the part, not its content.
			return nil, fmt.Errorf("sms gateway: %s is not a valid template", name)
		}
		return t, nil
	}
	c := &gatewayTemplates{headers: map[string]*template.Template{}}
	var err error
	if c.url, err = parse("url", g.URL); err != nil {
		return nil, err
	}
	// The URL must be absolute once filled in; try it with sample data.
	u, err := execute(c.url, GatewayData{Phone: "+15550100", Code: "000000", Message: "m", Token: "t"})
	if pu, perr := url.Parse(u); err != nil || perr != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		// The URL may carry a token in its query: do not echo it.
		return nil, errors.New("sms gateway: url must be an absolute http(s) URL")
	}
	for k, v := range g.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return nil, fmt.Errorf("sms gateway: invalid header name %q", k)
		}
		if c.headers[k], err = parse("header "+k, v); err != nil {
			return nil, err
		}
	}
	if c.body, err = parse("body template", g.BodyTemplate); err != nil {
		return nil, err
	}
	return c, nil
}

func execute(t *template.Template, d GatewayData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		// text/template errors can quote the data; keep only that it failed.
		return "", fmt.Errorf("sms gateway: %s template failed to execute", t.Name())
	}
	return b.String(), nil
}

func (g *Gateway) method() string {
	if g.Method == "" {
		return http.MethodPost
	}
	return strings.ToUpper(g.Method)
}

// Send sends message to phone; the template's .Code is empty.
func (g *Gateway) Send(ctx context.Context, phone, message string) error {
	return g.SendCode(ctx, phone, "", message)
}

// SendCode sends message, which normally contains code, to phone. A
// non-2xx answer is an error carrying only the status. Errors never carry
// the code, the message, the body or header values.
func (g *Gateway) SendCode(ctx context.Context, phone, code, message string) error {
	c := g.compiled
	if c == nil {
		var err error
		if c, err = g.compile(); err != nil {
			return err
		}
	}
	data := GatewayData{Phone: phone, Code: code, Message: message, Token: g.Token}
	u, err := execute(c.url, data)
	if err != nil {
		return err
	}
	text, err := execute(c.body, data)
	if err != nil {
		return err
	}
	body := bytes.NewBufferString(text)
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if g.method() != http.MethodGet || body.Len() > 0 {
		rd = body
	}
	req, err := http.NewRequestWithContext(ctx, g.method(), u, rd)
	if err != nil {
		return errors.New("sms gateway: cannot build request")
	}
	for k, t := range c.headers {
		v, err := execute(t, data)
		if err != nil {
			return err
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("sms gateway: header %s would contain a line break", k)
		}
		req.Header.Set(k, v)
	}
	client := g.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: request failed: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; the body is not read further.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &GatewayStatusError{StatusCode: resp.StatusCode}
	}
	return nil
}

// GatewayStatusError is a gateway's non-2xx answer. It holds the status only.
type GatewayStatusError struct{ StatusCode int }

func (e *GatewayStatusError) Error() string {
	return fmt.Sprintf("sms gateway: status %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// redactURLError drops the URL (which may carry a token) from a client
// error and keeps its cause.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
