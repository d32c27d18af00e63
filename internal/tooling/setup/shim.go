package setup

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dskd's own C API next to gotch's (shim/dskd_shim.h, shim/dskd_c10d.h):
// what gotch does not wrap (autocast, c10d's distributed training). The
// setup puts the headers and the Go bindings into the copy's libtch/ and
// compiles the C++ into the same archive as gotch's, so they follow the
// libtorch at hand; version differences are resolved by the preprocessor
// (torch/version.h) and, for c10d, by dskd_c10d_config.h, which the setup
// writes from what it found (Distributed).
//
//go:embed shim/dskd_shim.h shim/dskd_shim.cpp shim/dskd_shim.go.in
//go:embed shim/dskd_c10d.h shim/dskd_c10d.cpp shim/dskd_c10d.go.in
//go:embed shim/compat
var shimFiles embed.FS

const (
	shimSource   = "dskd_shim.cpp"
	c10dSource   = "dskd_c10d.cpp"
	c10dConfig   = "dskd_c10d_config.h"
	compatDir    = "dskd-compat" // in csrc/: stand-ins for headers a libtorch lacks
	compatSubdir = "compat"      // in shimFS
)

// shimFS holds the shim's files (tests put a libtorch-free one here).
var shimFS fs.FS = mustSub(shimFiles, "shim")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embedded folder is fixed at compile time
	}
	return sub
}

// installShim writes the shim's headers, the c10d configuration and the Go
// bindings into libtch, the stand-in headers lt needs into csrc, and
// returns the units that compile its C++ and the backends the c10d unit
// is compiled with (which its retry may reduce).
func installShim(libtch, csrc string, lt Libtorch, logf Logf) ([]*cppUnit, *Distributed, error) {
	read := func(name string) ([]byte, error) { return fs.ReadFile(shimFS, name) }
	files := [][2]string{
		{"dskd_shim.h", "dskd_shim.h"}, {"dskd_shim.go.in", "dskd_shim.go"},
		{"dskd_c10d.h", "dskd_c10d.h"}, {"dskd_c10d.go.in", "dskd_c10d.go"},
	}
	for _, f := range files {
		b, err := read(f[0])
		if err != nil {
			return nil, nil, fmt.Errorf("setup: %w", err)
		}
		if err := os.WriteFile(filepath.Join(libtch, f[1]), b, 0o644); err != nil {
			return nil, nil, fmt.Errorf("setup: %w", err)
		}
	}
	compiled := lt.Dist
	if err := os.WriteFile(filepath.Join(libtch, c10dConfig), []byte(compiled.c10dConfigHeader(lt)), 0o644); err != nil {
		return nil, nil, fmt.Errorf("setup: %w", err)
	}
	var c10dArgs []string
	if lt.Dist.AutogradStandIn && (lt.Dist.Gloo || lt.Dist.NCCL) {
		dir := filepath.Join(csrc, compatDir)
		if err := copyFS(shimFS, compatSubdir, dir); err != nil {
			return nil, nil, fmt.Errorf("setup: %w", err)
		}
		c10dArgs = append(c10dArgs, "-I"+dir)
	}
	for _, d := range lt.Dist.IncludeDirs {
		c10dArgs = append(c10dArgs, "-I"+d)
	}
	var units []*cppUnit
	for _, src := range []string{shimSource, c10dSource} {
		cpp, err := read(src)
		if err != nil {
			return nil, nil, fmt.Errorf("setup: %w", err)
		}
		u := &cppUnit{name: src, text: string(cpp)}
		if src == c10dSource {
			u.extraArgs = c10dArgs
			u.retry = func(log string) bool { return dropBackend(libtch, lt, &compiled, log, logf) }
		}
		units = append(units, u)
	}
	return units, &compiled, nil
}

// dropBackend handles a c10d unit that does not compile: distributed
// training is optional, so the setup goes on without the backend that
// failed (NCCL first, the least tried, then Gloo), says so and keeps the
// compiler's output. It reports whether there is something left to try.
func dropBackend(libtch string, lt Libtorch, d *Distributed, log string, logf Logf) bool {
	var name string
	switch {
	case d.NCCL:
		d.NCCL, name = false, "nccl"
	case d.Gloo:
		d.Gloo, name = false, "gloo"
	default:
		return false
	}
	logPath := filepath.Join(os.TempDir(), "dskd-setup-c10d-"+name+".log")
	_ = os.WriteFile(logPath, []byte(log), 0o644)
	why := fmt.Sprintf("%s: dskd's c10d shim does not compile with it against libtorch %s (compiler log: %s)", name, lt.DisplayVersion(), logPath)
	if d.Missing != "" {
		why = d.Missing + "; " + why
	}
	d.Missing = why
	logf("warning: %s; going on without it", why)
	return os.WriteFile(filepath.Join(libtch, c10dConfig), []byte(d.c10dConfigHeader(lt)), 0o644) == nil
}

// copyFS copies the tree dir of fsys to dst.
func copyFS(fsys fs.FS, dir, dst string) error {
	return fs.WalkDir(fsys, dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
