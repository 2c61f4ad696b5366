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
// BodyTemplate is a text/template executed with .Phone, .Code and .Message.
// Nothing is escaped implicitly: use the function that matches the
// Content-Type header you configure:
//
//	{{json .Message}}     a JSON string literal, quotes included
//	{{form .Phone}}       application/x-www-form-urlencoded value (also {{urlquery .Phone}})
//	{{xml .Message}}      XML character data / attribute value
//
// Header values (often an API token) and the body are never logged and
// never appear in an error.
type Gateway struct {
	URL          string
	Method       string // default POST
	Headers      map[string]string
	BodyTemplate string
	// Client is the HTTP client; nil means a new client per gateway with no
	// shared state.
	Client *http.Client
	// Timeout bounds one Send; 0 means 10 seconds.
	Timeout time.Duration
}

// gatewayFuncs are the escaping helpers offered to body templates.
func gatewayFuncs() template.FuncMap {
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

// Validate checks the URL, method and template once, at start-up, so a bad
// gateway configuration is reported before the first user needs a code.
func (g *Gateway) Validate() error {
	_, _, err := g.prepare()
	return err
}

func (g *Gateway) prepare() (*url.URL, *template.Template, error) {
	u, err := url.Parse(g.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL may carry a token in its query: do not echo it.
		return nil, nil, errors.New("sms gateway: url must be an absolute http(s) URL")
	}
	switch g.method() {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return nil, nil, fmt.Errorf("sms gateway: unsupported method %q", g.Method)
	}
	for k := range g.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return nil, nil, fmt.Errorf("sms gateway: invalid header name %q", k)
		}
	}
	t, err := template.New("body").Funcs(gatewayFuncs()).Option("missingkey=error").Parse(g.BodyTemplate)
	if err != nil {
		return nil, nil, fmt.Errorf("sms gateway: body template: %w", err)
	}
	return u, t, nil
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
	u, t, err := g.prepare()
	if err != nil {
		return err
	}
	var body bytes.Buffer
	data := struct{ Phone, Code, Message string }{phone, code, message}
	if err := t.Execute(&body, data); err != nil {
		// text/template errors can quote the data; keep only that it failed.
		return errors.New("sms gateway: body template failed to execute")
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if g.method() != http.MethodGet || body.Len() > 0 {
		rd = &body
	}
	req, err := http.NewRequestWithContext(ctx, g.method(), u.String(), rd)
	if err != nil {
		return errors.New("sms gateway: cannot build request")
	}
	for k, v := range g.Headers {
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
