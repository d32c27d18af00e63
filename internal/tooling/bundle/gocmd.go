package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Toolchain names the go command and the environment the plan is made with.
type Toolchain struct {
	Go  string   // go command; default "go" from PATH
	Env []string // extra KEY=VALUE entries over os.Environ()
}

func (tc Toolchain) command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	g := tc.Go
	if g == "" {
		g = "go"
	}
	cmd := exec.CommandContext(ctx, g, args...)
	cmd.Dir = dir
	// GOWORK=off: the bundle is made from go.mod alone; the machine-local
	// go.work points at a prepared gotch copy the target host will not have.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	cmd.Env = append(cmd.Env, tc.Env...)
	return cmd
}

// output runs go with args in dir and returns its stdout; a failure carries
// the command's stderr.
func (tc Toolchain) output(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := tc.command(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bundle: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// GoEnv is the part of `go env` a bundle depends on.
type GoEnv struct {
	GOROOT, GOTOOLDIR, GOMODCACHE, GOVERSION, GOHOSTOS, GOHOSTARCH string
}

// ReadEnv reads the toolchain's go env.
func (tc Toolchain) ReadEnv(ctx context.Context, dir string) (GoEnv, error) {
	out, err := tc.output(ctx, dir, "env", "-json", "GOROOT", "GOTOOLDIR", "GOMODCACHE", "GOVERSION", "GOHOSTOS", "GOHOSTARCH")
	if err != nil {
		return GoEnv{}, err
	}
	var e GoEnv
	if err := json.Unmarshal(out, &e); err != nil {
		return GoEnv{}, fmt.Errorf("bundle: go env: %w", err)
	}
	return e, nil
}
