package bundle

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// OfflineEnv is the environment of a go command that may read only the
// given toolchain and module cache: no proxy, no checksum database, no
// go.work, no toolchain switch.
func OfflineEnv(goroot, modcache, gocache string) []string {
	return []string{
		"GOROOT=" + goroot, "GOMODCACHE=" + modcache, "GOCACHE=" + gocache,
		"PATH=" + filepath.Join(goroot, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=", "GOENV=off",
	}
}

// Verify unpacks the toolchain and module cache of the bundle in dir into
// a temporary folder and loads every package of the project at root
// offline with them: the packages must be those of pl.
func Verify(ctx context.Context, dir string, pl Plan) error {
	tmp, err := os.MkdirTemp("", "dskd-bundle-verify-")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range []string{"go.tar.xz", "modcache.tar.xz"} {
		cmd := exec.CommandContext(ctx, "tar", "-xJf", filepath.Join(dir, name), "-C", tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("bundle: unpacking %s: %w\n%s", name, err, out)
		}
	}
	goroot := filepath.Join(tmp, "go")
	tc := Toolchain{Go: filepath.Join(goroot, "bin", "go"), Env: OfflineEnv(goroot, filepath.Join(tmp, "modcache"), filepath.Join(tmp, "gocache"))}
	got, err := tc.ListDeps(ctx, pl.Root)
	if err != nil {
		return fmt.Errorf("bundle: offline check with the bundled toolchain failed: %w", err)
	}
	return SamePackages(pl.Packages, got)
}

// SamePackages reports the first import path that one list has and the
// other lacks.
func SamePackages(want, got []Package) error {
	in := func(ps []Package) map[string]bool {
		m := map[string]bool{}
		for _, p := range ps {
			m[p.ImportPath] = true
		}
		return m
	}
	w, g := in(want), in(got)
	for p := range w {
		if !g[p] {
			return fmt.Errorf("bundle: offline load lacks package %s", p)
		}
	}
	for p := range g {
		if !w[p] {
			return fmt.Errorf("bundle: offline load has extra package %s", p)
		}
	}
	return nil
}
