package mfa

import (
	"errors"
	"fmt"

	"rsc.io/qr"
)

// QRPNG renders content (an otpauth:// URI) as a PNG QR code, so the
// enrolment page needs no external service and no JavaScript. size is the
// wanted width in pixels; the image is the largest whole multiple of the
// code's modules (quiet zone included) that fits, and never smaller than
// one pixel per module.
func QRPNG(content string, size int) ([]byte, error) {
	if content == "" {
		return nil, errors.New("mfa: empty QR content")
	}
	c, err := qr.Encode(content, qr.M)
	if err != nil {
		return nil, fmt.Errorf("mfa: QR encode: %w", err)
	}
	// rsc.io/qr draws a 4-module quiet zone on each side.
	c.Scale = max(1, size/(c.Size+8))
	return c.PNG(), nil
}
