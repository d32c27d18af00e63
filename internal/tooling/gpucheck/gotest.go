package gpucheck

import (
	"bufio"
	"encoding/json"
	"io"
	"regexp"
	"sort"
	"strings"
)

// TestSummary is what go test -json reported.
type TestSummary struct {
	Passed   int           `json:"passed"` // top-level tests; subtests count with their parent
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Packages []PackageRun  `json:"packages"`
	Failures []TestFailure `json:"failures,omitempty"` // failed tests and subtests, failed packages without a failed test
	// DeviceTests are the tests whose name mentions CUDA (or Cuda, GPU):
	// the CPU-vs-CUDA parity checks among them.
	DeviceTests []TestRun `json:"device_tests,omitempty"`
}

// PackageRun is one package's result.
type PackageRun struct {
	Package string  `json:"package"`
	Status  string  `json:"status"` // pass, fail, skip (no test files)
	Seconds float64 `json:"seconds"`
}

// TestRun is one test's result.
type TestRun struct {
	Package string  `json:"package"`
	Test    string  `json:"test"`
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"`
}

// TestFailure is a failed test (or package) with the end of its output.
type TestFailure struct {
	Package string `json:"package"`
	Test    string `json:"test,omitempty"`
	Output  string `json:"output"`
}

// testEvent is one line of go test -json (test2json).
type testEvent struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Elapsed    float64
	Output     string
}

var deviceTestRe = regexp.MustCompile(`CUDA|Cuda|GPU`)

// maxFailureOutput is how much of a failure's output the report keeps.
const maxFailureOutput = 4000

// ParseTestJSON reads go test -json's stream; lines that are not JSON (a
// build error printed by go itself) are ignored.
func ParseTestJSON(r io.Reader) TestSummary {
	var s TestSummary
	outputs := map[[2]string]*strings.Builder{}
	out := func(pkg, test string) *strings.Builder {
		k := [2]string{pkg, test}
		if outputs[k] == nil {
			outputs[k] = &strings.Builder{}
		}
		return outputs[k]
	}
	failedTests := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e testEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		pkg := e.Package
		if pkg == "" {
			pkg = e.ImportPath
		}
		switch e.Action {
		case "output", "build-output":
			out(pkg, e.Test).WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				s.Packages = append(s.Packages, PackageRun{Package: pkg, Status: e.Action, Seconds: e.Elapsed})
				if e.Action == "fail" && !failedTests[pkg] {
					s.Failures = append(s.Failures, TestFailure{Package: pkg, Output: tail(out(pkg, "").String(), maxFailureOutput)})
				}
				continue
			}
			if !strings.Contains(e.Test, "/") {
				switch e.Action {
				case "pass":
					s.Passed++
				case "fail":
					s.Failed++
				case "skip":
					s.Skipped++
				}
			}
			if e.Action == "fail" {
				failedTests[pkg] = true
				s.Failures = append(s.Failures, TestFailure{Package: pkg, Test: e.Test, Output: tail(out(pkg, e.Test).String(), maxFailureOutput)})
			}
			if deviceTestRe.MatchString(e.Test) {
				s.DeviceTests = append(s.DeviceTests, TestRun{Package: pkg, Test: e.Test, Status: e.Action, Seconds: e.Elapsed})
			}
		case "build-fail": // the package's own fail event follows
			name, _, _ := strings.Cut(pkg, " [")
			failedTests[name] = true
			s.Failures = append(s.Failures, TestFailure{Package: name, Test: "(build)", Output: tail(out(pkg, "").String(), maxFailureOutput)})
		}
	}
	sort.Slice(s.Packages, func(i, j int) bool { return s.Packages[i].Package < s.Packages[j].Package })
	return s
}

// tail keeps the last n bytes of s, cut at a line start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}
