package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyClientAddr
	keyUserAgent
)

// RequestInfo returns what the middleware recorded about the request ctx
// belongs to, for code handed only the context: audit records written
// below the handlers (lockouts, app password use) need them too.
func RequestInfo(ctx context.Context) (requestID, clientAddr, userAgent string) {
	requestID, _ = ctx.Value(keyRequestID).(string)
	clientAddr, _ = ctx.Value(keyClientAddr).(string)
	userAgent, _ = ctx.Value(keyUserAgent).(string)
	return requestID, clientAddr, userAgent
}

// RequestID returns the id the middleware gave r, or "".
func RequestID(r *http.Request) string {
	v, _ := r.Context().Value(keyRequestID).(string)
	return v
}

// ClientAddr returns the client address the middleware worked out for r
// (proxy headers honoured only from trusted proxies).
func ClientAddr(r *http.Request) string {
	v, _ := r.Context().Value(keyClientAddr).(string)
	return v
}

func newRequestID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b)
}

func withValue(r *http.Request, k ctxKey, v string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), k, v))
}
