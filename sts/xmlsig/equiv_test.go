package xmlsig_test

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const (
	nsSAML11 = "urn:oasis:names:tc:SAML:1.0:assertion"
	nsSAML2  = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMD     = "urn:oasis:names:tc:SAML:2.0:metadata"
)

// testDocuments are every XML document under a testdata directory of sts
// (claimgate's golden outputs and the AD FS samples), with every
// ds:Signature removed: the documents as they are before signing.
func testDocuments(t *testing.T) map[string]*etree.Element {
	t.Helper()
	sts := filepath.Dir(ststest.Path(""))
	docs := map[string]*etree.Element{}
	err := filepath.WalkDir(sts, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".xml") || !strings.Contains(p, "testdata") {
			return err
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromFile(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if doc.Root() != nil {
			stripSignatures(doc.Root())
			docs[p] = doc.Root()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 10 {
		t.Fatalf("only %d test documents found under %s", len(docs), sts)
	}
	return docs
}

func stripSignatures(el *etree.Element) {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == xmlsafe.NSDSig {
			el.RemoveChild(c)
			continue
		}
		stripSignatures(c)
	}
}

func descendants(el *etree.Element) []*etree.Element {
	out := []*etree.Element{el}
	for _, c := range el.ChildElements() {
		out = append(out, descendants(c)...)
	}
	return out
}

// TestCanonicalMatchesGoxmldsig: the fast canonicaliser gives goxmldsig's
// bytes for every element of every test document taken as the apex (an
// element whose prefixes are declared above it fails in both).
func TestCanonicalMatchesGoxmldsig(t *testing.T) {
	compared := 0
	for name, root := range testDocuments(t) {
		for _, el := range descendants(root) {
			want, wantErr := xmlsig.GoxmldsigCanonicalize(el)
			got, err := xmlsig.Canonicalize(el)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%s <%s>: error %v, goxmldsig %v", filepath.Base(name), el.FullTag(), err, wantErr)
			}
			if err == nil && !bytes.Equal(got, want) {
				t.Fatalf("%s <%s>: canonical form differs from goxmldsig's\n got: %s\nwant: %s", filepath.Base(name), el.FullTag(), got, want)
			}
			if err == nil {
				compared++
			}
		}
	}
	if compared < 100 {
		t.Fatalf("only %d elements compared", compared)
	}
	t.Logf("%d elements compared", compared)
}

// layoutOf is the layout claimgate signs a test document's root with, or
// false.
func layoutOf(el *etree.Element) (xmlsig.Layout, bool) {
	switch {
	case el.NamespaceURI() == nsSAML11 && el.Tag == "Assertion":
		return xmlsig.Layout{Name: "assertion", IDAttr: "AssertionID", Place: xmlsig.PlaceLast}, true
	case el.NamespaceURI() == nsMD && el.Tag == "EntityDescriptor":
		return xmlsig.Layout{Name: "metadata", IDAttr: "ID", Place: xmlsig.PlaceFirst}, true
	case xmlsafe.Child(el, nsSAML2, "Issuer") != nil && el.SelectAttr("ID") != nil:
		return xmlsig.Layout{Name: el.Tag, IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: nsSAML2, AfterTag: "Issuer"}, true
	}
	return xmlsig.Layout{}, false
}

// TestSignMatchesReference: Signer.Sign gives, byte for byte, what the
// goxmldsig path it replaced gave (ReferenceSign), for every signable
// element of the test documents (SAML 1.1 assertions, metadata, SAML 2.0
// responses, assertions and logout messages) with both algorithms, and
// leaves the element as it was.
func TestSignMatchesReference(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	signed := 0
	for name, root := range testDocuments(t) {
		for _, el := range descendants(root) {
			l, ok := layoutOf(el)
			if !ok {
				continue
			}
			el := el.Copy() // as signed: standalone
			s, err := xmlsig.NewSigner(k, c, l)
			if err != nil {
				t.Fatal(err)
			}
			for _, alg := range []string{xmlsig.AlgRSASHA256, xmlsig.AlgRSASHA1} {
				want, wantErr := xmlsig.ReferenceSign(k, c, l, el, alg)
				before, _ := xmltext.Serialize(el.Copy())
				got, err := s.Sign(el, alg)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("%s <%s> %s: error %v, reference %v", filepath.Base(name), el.FullTag(), alg, err, wantErr)
				}
				if err == nil && !bytes.Equal(got, want) {
					t.Fatalf("%s <%s> %s: signed bytes differ from the reference\n got: %s\nwant: %s", filepath.Base(name), el.FullTag(), alg, got, want)
				}
				if after, _ := xmltext.Serialize(el.Copy()); !bytes.Equal(before, after) || el.Parent() != nil {
					t.Fatalf("%s <%s>: Sign changed the element", filepath.Base(name), el.FullTag())
				}
				if err == nil {
					signed++
				}
			}
		}
	}
	if signed < 10 {
		t.Fatalf("only %d signatures compared", signed)
	}
	t.Logf("%d signatures compared", signed)
}

// randomText is a claim value drawn from characters that need escaping
// in text or attributes (& < > " ' CR LF TAB), non-ASCII (Latin, CJK,
// astral), and the CDATA terminator: every value XML 1.0 can carry.
func randomText(r *rand.Rand) string {
	pieces := []string{"&", "<", ">", `"`, "'", "\r", "\n", "\t", "\r\n", " ", "a", "Z", "0", "é", "ß", "日本", "€", "😀", "\u00a0", "]]>", "&amp;", "=", "#x9;"}
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestSignRandomClaims: SAML 1.1 assertions with random claim types and
// values, subject and audience canonicalise and sign as goxmldsig did.
func TestSignRandomClaims(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	r := rand.New(rand.NewPCG(12, 2026))
	layouts := []xmlsig.Layout{
		{Name: "assertion", IDAttr: "AssertionID", Place: xmlsig.PlaceLast},
		{Name: "assertion", IDAttr: "AssertionID", Place: xmlsig.PlaceFirst},
	}
	for i := range 200 {
		var cl []claims.Claim
		for range 1 + r.IntN(5) {
			vals := make([]string, 1+r.IntN(3))
			for j := range vals {
				vals[j] = randomText(r)
			}
			cl = append(cl, claims.Claim{Type: "http://schemas.example/claims/" + randomText(r) + "/n" + randomText(r), Values: vals})
		}
		now := ststest.FixedNow()
		el, err := saml11.BuildAssertion(saml11.AssertionInput{
			ID: "_r1", Issuer: "https://sts.example/" + randomText(r), Audience: "urn:rp:" + randomText(r),
			IssueInstant: now, NotBefore: now.Add(-5 * 60e9), NotOnOrAfter: now.Add(60 * 60e9),
			Subject: saml11.Subject{NameID: randomText(r) + "@corp.example"}, Claims: cl,
			Authn: saml11.Authn{Method: claims.MultipleAuthn, Instant: now},
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			// Not an NCName, so not what BuildAssertion makes, but an
			// ID the Reference URI must escape like any attribute value.
			el.CreateAttr("AssertionID", "_r"+randomText(r))
		}
		got, err := xmlsig.Canonicalize(el)
		want, wantErr := xmlsig.GoxmldsigCanonicalize(el)
		if err != nil || wantErr != nil || !bytes.Equal(got, want) {
			t.Fatalf("claims %q: canonical form differs (err %v, goxmldsig %v)\n got: %s\nwant: %s", cl, err, wantErr, got, want)
		}
		l := layouts[i%len(layouts)]
		s, err := xmlsig.NewSigner(k, c, l)
		if err != nil {
			t.Fatal(err)
		}
		alg := []string{"", xmlsig.AlgRSASHA1}[i%2]
		sig, err := s.Sign(el, alg)
		ref, refErr := xmlsig.ReferenceSign(k, c, l, el, alg)
		if err != nil || refErr != nil || !bytes.Equal(sig, ref) {
			t.Fatalf("claims %q: signed bytes differ (err %v, reference %v)\n got: %s\nwant: %s", cl, err, refErr, sig, ref)
		}
	}
}
