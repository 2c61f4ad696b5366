// Command benchratio prints how close claimgate's token issuance comes to
// the one RSA-2048 signature every token needs (issue 12): the throughput
// ratio RSASign ns/op ÷ issuance ns/op, for WS-Fed (sts
// BenchmarkIssueWSFed, target >= 0.92) and for a SAML 2.0 Response
// (sts/saml2 BenchmarkResponse), both against sts BenchmarkRSASign; and
// the SAML 2.0 Response against its peer, crewjam/saml's IdentityProvider
// making the same signed Response with the same key (sts/saml2
// BenchmarkCrewjamResponse ns/op ÷ BenchmarkResponse ns/op, target >= 2).
//
//	go run ./internal/tools/benchratio          # make bench: 3 interleaved runs of 1s each
//	go run ./internal/tools/benchratio -short   # scripts/test.sh: 3 interleaved runs of 50 iterations
//
// The two benchmarks of a pair run in separate, alternating processes
// (RSASign, issuance, RSASign, issuance, ...), so a slow spell on a shared
// machine lands on both sides of a ratio rather than on one; each pair of
// neighbours gives one ratio and the median is reported.
//
// Two ratios per pair: of wall time per op (what the benchmark reports)
// and of CPU time per op. On a shared 2-core machine wall time includes
// waiting for the CPU; CPU time does not. It is the child process's
// rusage (user + system, every thread, so the garbage collector's work
// counts), less the benchmark's fixed cost — the median of three runs of
// one iteration (process start, set-up; the benchmarks use b.Loop, so
// set-up runs once per process) — over the remaining iterations. The
// numbers are reported, never asserted: timings belong in benchmarks, not
// tests.
package main
