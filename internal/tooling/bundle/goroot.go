package bundle

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Tools are the programs under GOROOT/pkg/tool/linux_amd64 that go build,
// go vet and go test run (cover only for -cover). pack, buildid and
// test2json are built into the go command; fix, preprofile (default.pgo
// only) and the rest are not needed.
var Tools = []string{"asm", "cgo", "compile", "cover", "link", "vet"}

// gorootTopFiles are kept when present: VERSION is how the go command
// knows its version, go.env holds its default GOPROXY/GOTOOLCHAIN.
var gorootTopFiles = []string{"VERSION", "go.env", "LICENSE", "PATENTS", "lib/time/zoneinfo.zip"}

// GorootFiles lists, relative to goroot, the files of a trimmed linux/amd64
// toolchain: bin/go, Tools, pkg/include and the standard library source
// that KeepGorootSource accepts.
func GorootFiles(goroot string) ([]string, error) {
	var out []string
	for _, f := range gorootTopFiles {
		if _, err := os.Stat(filepath.Join(goroot, f)); err == nil {
			out = append(out, f)
		}
	}
	out = append(out, "bin/go")
	for _, t := range Tools {
		out = append(out, "pkg/tool/linux_amd64/"+t)
	}
	for _, f := range out {
		if _, err := os.Stat(filepath.Join(goroot, f)); err != nil {
			return nil, fmt.Errorf("bundle: the toolchain at %s lacks %s (is it linux/amd64?)", goroot, f)
		}
	}
	for _, sub := range []string{"pkg/include", "src"} {
		err := filepath.WalkDir(filepath.Join(goroot, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(goroot, p)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if rel == "src/cmd" || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && (sub == "pkg/include" || KeepGorootSource(rel)) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("bundle: walking %s: %w", goroot, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// KeepGorootSource reports whether a file under GOROOT (slash-separated,
// relative) belongs to a trimmed toolchain's standard library: everything
// under src/ except the go command's own sources (src/cmd), testdata,
// tests, and .syso objects of other platforms (the race detector's amd64
// ones stay).
func KeepGorootSource(rel string) bool {
	if !strings.HasPrefix(rel, "src/") || strings.HasPrefix(rel, "src/cmd/") || strings.Contains(rel, "/testdata/") {
		return false
	}
	base := path.Base(rel)
	switch {
	case strings.HasSuffix(base, "_test.go"):
		return false
	case strings.HasSuffix(base, ".syso"):
		return strings.HasSuffix(base, "_linux_amd64.syso") || (base == "race_linux.syso" && strings.Contains(rel, "/amd64"))
	}
	return true
}
