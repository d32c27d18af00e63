package setup

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// GeneratedFile is gotch's generated C++ wrapper file, included by torch_api.cpp.
const GeneratedFile = "torch_api_generated.cpp.h"

// wrapper is one generated function: lines [Start, End] (0-based, inclusive),
// Start holding the signature and '{', End the closing '}'.
type wrapper struct {
	Name       string
	ReturnType string
	Start, End int
}

var signatureRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*\s*\*?)\s*(atg_[A-Za-z0-9_]+)\(.*\)\s*\{\s*$`)

// findWrappers lists the generated functions of src.
func findWrappers(lines []string) []wrapper {
	var ws []wrapper
	for i := 0; i < len(lines); i++ {
		m := signatureRe.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		w := wrapper{Name: m[2], ReturnType: strings.TrimSpace(m[1]), Start: i, End: -1}
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "}") {
				w.End = j
				break
			}
		}
		if w.End < 0 {
			break
		}
		ws = append(ws, w)
		i = w.End
	}
	return ws
}

// errorLines returns the line numbers (1-based) of file that the compiler
// log blames: error lines, and "required from here" lines of template errors
// whose instantiation starts in a wrapper.
func errorLines(log, file string) []int {
	re := regexp.MustCompile(`(?:^|[\s/])` + regexp.QuoteMeta(file) + `:(\d+):(?:\d+:)?\s*(error|required from here)`)
	seen := map[int]bool{}
	var out []int
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		n, err := strconv.Atoi(m[1])
		if err == nil && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// ReplaceFailing rewrites src so that each wrapper containing a line the
// compiler log blames raises a C++ error naming the op instead. It returns
// the new source and the names of the replaced wrappers. Error lines outside
// any wrapper are returned as an error: they cannot be fixed by stubbing.
func ReplaceFailing(src, compilerLog, versionLabel string) (string, []string, error) {
	return replaceFailingIn(GeneratedFile, src, compilerLog, versionLabel)
}

// replaceFailingIn is ReplaceFailing for wrappers held in a file the
// compiler log calls file (a chunk of the generated file).
func replaceFailingIn(file, src, compilerLog, versionLabel string) (string, []string, error) {
	lines := strings.Split(src, "\n")
	wrappers := findWrappers(lines)
	keys, stray := blame(errorLines(compilerLog, file), len(wrappers), func(k int) (int, int) { return wrappers[k].Start + 1, wrappers[k].End + 1 })
	if len(stray) > 0 {
		return src, nil, fmt.Errorf("setup: compiler errors at %s lines %v lie outside any generated wrapper", file, stray)
	}
	var out []string
	var names []string
	prev := 0
	for _, k := range keys {
		w := wrappers[k]
		out = append(out, lines[prev:w.Start+1]...)
		out = append(out, stubBody(w, versionLabel)...)
		out = append(out, lines[w.End])
		prev = w.End + 1
		names = append(names, w.Name)
	}
	out = append(out, lines[prev:]...)
	return strings.Join(out, "\n"), names, nil
}

func stubBody(w wrapper, versionLabel string) []string {
	op := strings.TrimPrefix(w.Name, "atg_")
	body := []string{
		"  // replaced by dskd-setup: this op does not compile against the linked libtorch",
		fmt.Sprintf("  PROTECT(throw std::runtime_error(%q);)", fmt.Sprintf("gotch op %s is not available in libtorch %s", op, versionLabel)),
	}
	if w.ReturnType != "void" {
		body = append(body, "  return 0;")
	}
	return body
}

// blame sorts the compiler's error lines (1-based) into the indices of the
// n spans that hold them (in order, each once) and the lines no span holds;
// span(k) gives span k's first and last line, spans sorted and disjoint.
func blame(lines []int, n int, span func(k int) (first, last int)) (keys, stray []int) {
	seen := map[int]bool{}
	for _, ln := range lines {
		k := sort.Search(n, func(k int) bool { _, last := span(k); return last >= ln })
		if k == n {
			stray = append(stray, ln)
			continue
		}
		if first, _ := span(k); first > ln {
			stray = append(stray, ln)
			continue
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Ints(keys)
	return keys, stray
}
