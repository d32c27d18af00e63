package bundle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Plan is what a bundle holds: three file lists, each relative to its root.
type Plan struct {
	Root     string    // project root (holds go.mod)
	Env      GoEnv     // the toolchain that is bundled
	Packages []Package // go list -deps -test ./...
	Goroot   []string  // relative to Env.GOROOT
	Modcache []string  // relative to Env.GOMODCACHE
	Source   []string  // relative to Root; MakePlan leaves it to ProjectFiles
}

// MakePlan lists the toolchain and module-cache files a bundle of the
// project at root needs (the source list is ProjectFiles'). Loading the
// packages downloads any module missing from the toolchain's module cache;
// nothing else is written.
func MakePlan(ctx context.Context, tc Toolchain, root string) (Plan, error) {
	pl := Plan{Root: root}
	var err error
	if pl.Env, err = tc.ReadEnv(ctx, root); err != nil {
		return pl, err
	}
	if pl.Env.GOHOSTOS != "linux" || pl.Env.GOHOSTARCH != "amd64" {
		return pl, fmt.Errorf("bundle: the toolchain is %s/%s; a bundle carries a linux/amd64 one", pl.Env.GOHOSTOS, pl.Env.GOHOSTARCH)
	}
	if pl.Packages, err = tc.ListDeps(ctx, root); err != nil {
		return pl, err
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return pl, fmt.Errorf("bundle: %w", err)
	}
	if pl.Modcache, err = ModcacheFiles(pl.Env.GOMODCACHE, pl.Packages, gosum); err != nil {
		return pl, err
	}
	if pl.Goroot, err = GorootFiles(pl.Env.GOROOT); err != nil {
		return pl, err
	}
	return pl, nil
}
