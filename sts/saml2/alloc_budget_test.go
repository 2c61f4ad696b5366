package saml2

import (
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
)

// respondAllocBudget is about 15 % above the 1831 allocations one Respond
// (signed and encrypted assertion, as BenchmarkResponse makes it) made on
// 2026-12-02 (go test ./sts/saml2 -run '^$' -bench Response -benchmem,
// Go 1.26). A budget against gross regressions of the hot path, not a
// target: lower it when Respond gets cheaper, raise it only with a
// measured reason.
const respondAllocBudget = 2100

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
