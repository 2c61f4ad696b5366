package saml2

import (
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
)

// respondAllocBudget is 1.5 times the 977 allocations one Respond (signed
// and encrypted assertion, as BenchmarkResponse makes it) made on
// 2026-12-03 (go test ./sts/saml2 -run '^$' -bench Response -benchmem,
// Go 1.26), down from 1831 with goxmldsig's canonicalisation and copies
// in xmlsig.Signer. A budget against gross regressions of the hot path
// (an extra canonicalisation or copy of the tree costs hundreds), not a
// target: lower it when Respond gets cheaper, raise it only with a
// measured reason.
const respondAllocBudget = 1465

// TestRespondAllocationBudget: one Response for the test user stays
// within respondAllocBudget allocations.
func TestRespondAllocationBudget(t *testing.T) {
	k, c := ststest.LoadKeyPair(t, "signing")
	p, err := NewIdP(IdPConfig{EntityID: ststest.EntityID, Signer: k, Certificate: c, Now: fixedNow, PersistentKey: persistentKey})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(parseADFSRequest(t))
	allocs := testing.AllocsPerRun(20, func() {
		if _, e := p.Respond(in); e != nil {
			err = e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs > respondAllocBudget {
		t.Errorf("Respond: %.0f allocations, budget %d", allocs, respondAllocBudget)
	}
	t.Logf("Respond: %.0f allocations (budget %d)", allocs, respondAllocBudget)
}
