package setup

import (
	"fmt"
	"strings"
)

// splitWrappers cuts the generated file into at most parts pieces of about
// equal wrapper counts, each ending after a wrapper's closing brace, so that
// each piece can be compiled on its own core. Joining the pieces with "\n"
// gives src back exactly.
func splitWrappers(src string, parts int) []string {
	lines := strings.Split(src, "\n")
	ws := findWrappers(lines)
	if parts < 1 {
		parts = 1
	}
	if parts > len(ws) {
		parts = len(ws)
	}
	if parts <= 1 {
		return []string{src}
	}
	var out []string
	start := 0
	for p := 1; p < parts; p++ {
		last := ws[p*len(ws)/parts-1] // the last wrapper of piece p
		out = append(out, strings.Join(lines[start:last.End+1], "\n"))
		start = last.End + 1
	}
	return append(out, strings.Join(lines[start:], "\n"))
}

// chunkPrelude is what a piece of the generated file needs in front of it
// to compile on its own: the headers gotch's torch_api.cpp includes before
// it includes the generated file (without stb's image code, which
// torch_api.cpp compiles once).
func chunkPrelude(torchAPICpp string) (string, error) {
	var b strings.Builder
	b.WriteString("// Written by dskd-setup: one piece of gotch's generated wrappers, compiled on its own.\n")
	sawAPI := false
	for _, line := range strings.Split(torchAPICpp, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "using namespace") {
			break
		}
		if !strings.HasPrefix(t, "#include") || strings.Contains(t, "stb_image") {
			continue
		}
		sawAPI = sawAPI || strings.Contains(t, `"torch_api.h"`)
		b.WriteString(t + "\n")
	}
	if !sawAPI {
		return "", fmt.Errorf("setup: torch_api.cpp does not include torch_api.h before `using namespace`; gotch's layout changed")
	}
	b.WriteString("using namespace std;\n")
	return b.String(), nil
}

// The error slot of gotch's C API is defined (not declared) in torch_api.h,
// so every translation unit including it would get its own. With the
// wrappers compiled in several units it must be declared there and defined
// once, in torch_api.cpp, where the generated file used to be included.
const (
	lastErrDefinition  = "thread_local char *torch_last_err = nullptr;"
	lastErrDeclaration = "extern thread_local char *torch_last_err;"
	generatedInclude   = `#include "torch_api_generated.cpp.h"`
)

// shareLastErr rewrites torch_api.h and torch_api.cpp for compiling the
// generated wrappers separately: the header declares the error slot, the
// .cpp defines it instead of including the generated file.
func shareLastErr(header, cpp string) (string, string, error) {
	if strings.Count(header, lastErrDefinition) != 1 {
		return "", "", fmt.Errorf("setup: torch_api.h does not define %q exactly once; gotch's layout changed", lastErrDefinition)
	}
	if strings.Count(cpp, generatedInclude) != 1 {
		return "", "", fmt.Errorf("setup: torch_api.cpp does not include %s exactly once; gotch's layout changed", GeneratedFile)
	}
	header = strings.Replace(header, lastErrDefinition, lastErrDeclaration, 1)
	cpp = strings.Replace(cpp, generatedInclude, "// dskd-setup: the generated wrappers are compiled in separate pieces.\n"+lastErrDefinition, 1)
	return header, cpp, nil
}
