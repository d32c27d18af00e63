package gpucheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Phase statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusTimeout = "timeout"
	StatusSkipped = "skipped"
)

// Phase is one step of the check as the report records it.
type Phase struct {
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Seconds    float64  `json:"seconds"`
	TimeoutS   float64  `json:"timeout_s,omitempty"`
	Commands   []string `json:"commands,omitempty"`
	Log        string   `json:"log,omitempty"` // file in the report folder
	Error      string   `json:"error,omitempty"`
	PeakGPUMiB float64  `json:"peak_gpu_mem_mib,omitempty"` // nvidia-smi's memory.used, highest sample
}

// phaseRun is a running phase: where its output goes and the environment
// and folder its commands run in.
type phaseRun struct {
	*Phase
	dir string
	env []string
	log io.Writer
}

// run runs one command of the phase in its own process group (killed whole
// when the phase's time is up), its stderr and, unless stdout is given,
// its stdout appended to the phase log.
func (p *phaseRun) run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	line := shellJoin(append([]string{name}, args...))
	p.Commands = append(p.Commands, line)
	fmt.Fprintf(p.log, "$ %s\n", line)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = p.dir
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	fmt.Fprintf(p.log, "# %s after %.1f s\n", exitText(err), time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	return nil
}

func exitText(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit 0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	}
	return err.Error()
}

// env returns os.Environ() without the named keys, plus extra entries.
func env(drop []string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !contains(drop, k) {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}
