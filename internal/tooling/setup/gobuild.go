package setup

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// warmPackages are built by the setup: gotch's packages and, through
// dskd's trainer package, nearly every dependency of dskd's commands and
// examples (gonum/plot with its fonts among them). Library packages only,
// so nothing is linked and a second run is quick.
var warmPackages = []string{GotchModule + "/nn", "github.com/angioseg/dskd/dskd"}

// quietFor is how long a build may run before the setup says what it is
// doing: a warm build cache answers well within it, so a second setup run
// prints nothing.
var quietFor = 2 * time.Second

// BuildGotch builds gotch's Go packages (and so links the prepared C++)
// and dskd's in projectDir through its go.work, so that the first `go
// test`, `go run` or `make demo` after the setup does not sit silent
// compiling them. A build that outlasts quietFor is announced, with the
// elapsed time every progressEvery.
func BuildGotch(projectDir string, logf Logf) error {
	_, err := goWithProgress(projectDir, logf, "compiling gotch's and dskd's Go packages (once per Go build cache, about a minute on 2 cores)",
		append([]string{"build"}, warmPackages...)...)
	return err
}

// goCommand is a go command run in projectDir with its go.work, whatever
// GOWORK the setup itself runs under (make runs it with GOWORK=off).
func goCommand(projectDir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = projectDir
	env := []string{"GOWORK=" + filepath.Join(projectDir, "go.work")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOWORK=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// goWithProgress runs go args in projectDir and returns its standard
// output. If it runs longer than quietFor it logs what (once) and then the
// elapsed time every progressEvery, and how long it took.
func goWithProgress(projectDir string, logf Logf, what string, args ...string) ([]byte, error) {
	cmd := goCommand(projectDir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("setup: go %s: %w", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	announced := false
	timer := time.NewTimer(quietFor)
	defer timer.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, fmt.Errorf("setup: go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
			}
			if announced {
				logf("  ... done in %s", time.Since(start).Round(time.Second))
			}
			return stdout.Bytes(), nil
		case <-timer.C:
			if !announced {
				logf("%s...", what)
				announced = true
			} else {
				logf("  ... still %s, %s elapsed", firstWord(what), time.Since(start).Round(time.Second))
			}
			timer.Reset(progressEvery)
		}
	}
}

// firstWord is the verb of a progress message ("compiling").
func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
