package setup

import (
	"fmt"
	"regexp"
	"strings"
)

// cppFunction is one top-level function definition of a hand-written C++
// file: its name, whether it returns void, and the byte offsets of its
// body's braces and the lines (1-based) it spans.
type cppFunction struct {
	Name               string
	Void               bool
	Open, Close        int // offsets of the body's '{' and '}'
	FirstLine, EndLine int
}

// signatureHeadRe takes a top-level definition's text before its body: a
// return type, then the name and its parameters.
var signatureHeadRe = regexp.MustCompile(`^([A-Za-z_][\w:<>,\s\*&]*?)\s*\b([A-Za-z_]\w*)\s*\(`)

// findFunctions lists the top-level function definitions of C++ source
// src, skipping templates, namespaces and type definitions (their errors
// stay fatal). It follows braces outside string and character literals and
// comments.
func findFunctions(src string) []cppFunction {
	var (
		fns       []cppFunction
		depth     int
		line      = 1
		segStart  int // start of the current top-level declaration
		segLine   = 1
		current   *cppFunction
		lineStart = true
		inPreproc bool
	)
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
			lineStart, inPreproc = true, false
			if depth == 0 && current == nil && strings.TrimSpace(src[segStart:i]) == "" {
				segStart, segLine = i+1, line
			}
			continue
		case inPreproc:
			continue
		case lineStart && c == '#' && depth == 0:
			inPreproc = true
			segStart, segLine = i, line // a directive ends whatever came before
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i-- // let the newline be counted
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return fns
			}
			line += strings.Count(src[i:i+2+end+2], "\n")
			i += 2 + end + 1
			continue
		case c == '"' || c == '\'':
			for j := i + 1; j < len(src); j++ {
				if src[j] == '\\' {
					j++
					continue
				}
				if src[j] == c || src[j] == '\n' {
					i = j
					break
				}
			}
			continue
		}
		if c != ' ' && c != '\t' {
			lineStart = false
		}
		switch c {
		case '{':
			if depth == 0 {
				current = headOf(src[segStart:i], segLine)
				if current != nil {
					current.Open = i
				}
			}
			depth++
		case '}':
			depth--
			if depth == 0 {
				if current != nil {
					current.Close, current.EndLine = i, line
					fns = append(fns, *current)
					current = nil
				}
				segStart, segLine = i+1, line
			}
		case ';':
			if depth == 0 {
				segStart, segLine = i+1, line
			}
		}
	}
	return fns
}

// headOf reads a top-level definition's head (the text before its '{'),
// which starts on line first; nil if it is not a plain function.
func headOf(head string, first int) *cppFunction {
	head = blockCommentRe.ReplaceAllStringFunc(head, func(c string) string { return strings.Repeat("\n", strings.Count(c, "\n")) })
	var kept []string
	for i, l := range strings.Split(head, "\n") {
		t := strings.TrimSpace(l)
		if len(kept) == 0 && (t == "" || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "#")) {
			continue
		}
		if len(kept) == 0 {
			first += i
		}
		if j := strings.Index(l, "//"); j >= 0 {
			l = l[:j]
		}
		kept = append(kept, l)
	}
	trimmed := strings.TrimSpace(strings.Join(kept, "\n"))
	for _, kw := range []string{"template", "namespace", "struct", "class", "enum", "union", "extern", "typedef", "using"} {
		if strings.HasPrefix(trimmed, kw) {
			return nil
		}
	}
	m := signatureHeadRe.FindStringSubmatch(trimmed)
	if m == nil {
		return nil
	}
	return &cppFunction{Name: m[2], Void: strings.TrimSpace(m[1]) == "void", FirstLine: first}
}

var blockCommentRe = regexp.MustCompile(`(?s)/\*.*?\*/`)

// replaceFailingFunctions is ReplaceFailing for a hand-written file such as
// gotch's torch_api.cpp: each top-level function holding a line the
// compiler log blames gets a body that raises a C++ error naming it.
// Blamed lines outside such a function are an error.
func replaceFailingFunctions(file, src, compilerLog, versionLabel string) (string, []string, error) {
	fns := findFunctions(src)
	keys, stray := blame(errorLines(compilerLog, file), len(fns), func(k int) (int, int) { return fns[k].FirstLine, fns[k].EndLine })
	if len(stray) > 0 {
		return src, nil, fmt.Errorf("setup: compiler errors at %s lines %v lie outside any function that could be replaced", file, stray)
	}
	var b strings.Builder
	var names []string
	prev := 0
	for _, k := range keys {
		f := fns[k]
		b.WriteString(src[prev : f.Open+1])
		b.WriteString("\n  // replaced by dskd-setup: this function does not compile against the linked libtorch\n")
		fmt.Fprintf(&b, "  PROTECT(throw std::runtime_error(%q);)\n", fmt.Sprintf("gotch function %s is not available in libtorch %s", f.Name, versionLabel))
		if !f.Void {
			b.WriteString("  return {};\n")
		}
		prev = f.Close
		names = append(names, f.Name)
	}
	b.WriteString(src[prev:])
	return b.String(), names, nil
}
