package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validHash is a bcrypt hash of the right shape; these tests never check it.
const validHash = "$2b$04$0123456789012345678901uBAhRG3N6Vqv.5DHSSjCa4ANdx1WhKVK"

// TestLoadRefusesValuesXMLCannotCarry: a value that no token can carry
// (YAML's escapes let U+FFFE, non-characters and controls into a file)
// is refused at load with its path and the character, once per field,
// instead of passing and ending the user's sign-in in a 500.
func TestLoadRefusesValuesXMLCannotCarry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	body := `domain: "EX\a"
users:
  - username: "al\uFFFEice"
    upn: "alice\uFFFF@example.test"
    display_name: "Alice \uFDD0"
    email: "alice\x01@example.test"
    mobile: "+4912345\U0010FFFE"
    password_hash: "` + validHash + `"
  - username: bob
    display_name: "Bob Ångström 😀"
    password_hash: "` + validHash + `"
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	const tail = " cannot be sent in a token (XML 1.0)"
	want := []string{
		"domain: character U+0007 (a control character) at byte 2" + tail,
		"users[0].username: character U+FFFE (a Unicode non-character) at byte 2" + tail,
		"users[0].upn: character U+FFFF (a Unicode non-character) at byte 5" + tail,
		"users[0].display_name: character U+FDD0 (a Unicode non-character) at byte 6" + tail,
		"users[0].email: character U+0001 (a control character) at byte 5" + tail,
		"users[0].mobile: character U+10FFFE (a Unicode non-character) at byte 8" + tail,
	}
	if strings.Join(ve.Problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(ve.Problems, "\n"), strings.Join(want, "\n"))
	}
}

// TestWriteRefusesInvalidUTF8: a File built in Go (the users commands)
// can hold bytes YAML would never decode; Write refuses them with the
// path and leaves no file behind.
func TestWriteRefusesInvalidUTF8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	err := Write(path, &File{Users: []User{{Username: "alice", DisplayName: "Al\xffice", PasswordHash: validHash}}})
	if err == nil || !strings.Contains(err.Error(), "users[0].display_name: invalid UTF-8 (byte 0xFF) at byte 2 cannot be sent") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
}
