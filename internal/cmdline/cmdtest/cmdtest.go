package cmdtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
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

// Command is the command with args as a child process, not started: for
// tests that talk to it while it runs (signals, pipes).
func Command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	return cmd
}

// Run runs the command with args in a child process and returns what it
// wrote and its exit status.
func Run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := Command(args...)
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

// HelpAndStrayArgument checks the command line of a flags-only command:
// -h prints usage (containing synopsis) to stdout and exits 0; a stray
// positional argument exits 1 with one line naming it.
func HelpAndStrayArgument(t *testing.T, prog, synopsis string) {
	t.Helper()
	out, errOut, code := Run(t, "-h")
	if code != 0 || !strings.Contains(out, synopsis) || errOut != "" {
		t.Errorf("%s -h: exit %d, stdout %q, stderr %q; want 0, usage with %q, nothing", prog, code, out, errOut, synopsis)
	}
	_, errOut, code = Run(t, "stray")
	want := prog + ": unexpected argument \"stray\" (" + prog + " takes flags only; -h lists them)\n"
	if code != 1 || errOut != want {
		t.Errorf("%s stray: exit %d, stderr %q; want 1, %q", prog, code, errOut, want)
	}
}
