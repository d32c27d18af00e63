package setup

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"
)

// DetectCXX11ABI reads the dynamic symbols of libc10.so in libDir: a
// library built with _GLIBCXX_USE_CXX11_ABI=1 exports std::string in its
// signatures as std::__cxx11::basic_string, one built without never does.
// Reading symbols avoids importing Python or running the compiler.
func DetectCXX11ABI(libDir string) (bool, error) {
	path := filepath.Join(libDir, "libc10.so")
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("setup: %s: %w", path, err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return false, fmt.Errorf("setup: %s: reading dynamic symbols: %w", path, err)
	}
	sawString := false
	for _, s := range syms {
		if strings.Contains(s.Name, "St7__cxx11") {
			return true, nil
		}
		if strings.Contains(s.Name, "Ss") || strings.Contains(s.Name, "basic_string") {
			sawString = true
		}
	}
	if !sawString {
		return false, fmt.Errorf("setup: %s: no std::string in its exported symbols; cannot tell the ABI", path)
	}
	return false, nil
}
