// Package cmdtest runs a command's main function in a child process of
// its test binary, so that tests see real exit statuses and output without
// building the command separately.
//
//	func TestMain(m *testing.M) { cmdtest.Main(m, main) }
//	out, errOut, code := cmdtest.Run(t, "train", "-h")
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package cmdtest
