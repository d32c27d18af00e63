// Package cmdtest runs a command's main function in a child process of
// its test binary, so that tests see real exit statuses and output without
// building the command separately.
//
//	func TestMain(m *testing.M) { cmdtest.Main(m, main) }
//	out, errOut, code := cmdtest.Run(t, "train", "-h")
package cmdtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

const childEnv = "DSKD_CMDTEST_CHILD"

// Main is the body of a command's TestMain: in the child process it runs
// main (which reads os.Args[1:]) and exits 0 if main returns; otherwise it
// runs the tests.
func Main(m *testing.M, main func()) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Run runs the command with args in a child process and returns what it
// wrote and its exit status.
func Run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}
