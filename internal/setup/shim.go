package setup

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dskd's own C API next to gotch's (shim/dskd_shim.h): what gotch does not
// wrap (autocast, ...). The setup puts the header and the Go bindings into
// the copy's libtch/ and compiles the C++ into the same archive as gotch's,
// so they follow the libtorch at hand; version differences are resolved by
// the preprocessor (torch/version.h).
//
//go:embed shim/dskd_shim.h shim/dskd_shim.cpp shim/dskd_shim.go.in
var shimFiles embed.FS

const shimSource = "dskd_shim.cpp"

// shimFS holds the shim's files (tests put a libtorch-free one here).
var shimFS fs.FS = mustSub(shimFiles, "shim")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embedded folder is fixed at compile time
	}
	return sub
}

// installShim writes the shim's header and Go bindings into libtch and
// returns the unit that compiles its C++.
func installShim(libtch string) (*cppUnit, error) {
	read := func(name string) ([]byte, error) { return fs.ReadFile(shimFS, name) }
	for _, f := range [][2]string{{"dskd_shim.h", "dskd_shim.h"}, {"dskd_shim.go.in", "dskd_shim.go"}} {
		b, err := read(f[0])
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		if err := os.WriteFile(filepath.Join(libtch, f[1]), b, 0o644); err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
	}
	cpp, err := read(shimSource)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return &cppUnit{name: shimSource, text: string(cpp)}, nil
}
