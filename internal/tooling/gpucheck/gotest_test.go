package gpucheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A go test -json stream: one package passes (a CUDA test skipped, one with
// a subtest), one fails a subtest, one does not build, one has no tests.
const testStream = `{"Action":"start","Package":"example.com/a"}
{"Action":"run","Package":"example.com/a","Test":"TestForward"}
{"Action":"output","Package":"example.com/a","Test":"TestForward","Output":"=== RUN   TestForward\n"}
{"Action":"pass","Package":"example.com/a","Test":"TestForward","Elapsed":0.5}
{"Action":"run","Package":"example.com/a","Test":"TestCUDAParity"}
{"Action":"output","Package":"example.com/a","Test":"TestCUDAParity","Output":"    no CUDA device\n"}
{"Action":"skip","Package":"example.com/a","Test":"TestCUDAParity","Elapsed":0}
{"Action":"pass","Package":"example.com/a","Test":"TestTable/case1","Elapsed":0.1}
{"Action":"pass","Package":"example.com/a","Test":"TestTable","Elapsed":0.2}
{"Action":"pass","Package":"example.com/a","Elapsed":1.5}
{"Action":"output","Package":"example.com/b","Test":"TestLoss/nan","Output":"    loss is NaN at step 3\n"}
{"Action":"fail","Package":"example.com/b","Test":"TestLoss/nan","Elapsed":0.3}
{"Action":"fail","Package":"example.com/b","Test":"TestLoss","Elapsed":0.3}
{"Action":"output","Package":"example.com/b","Output":"FAIL\n"}
{"Action":"fail","Package":"example.com/b","Elapsed":2}
not json: go: downloading nothing
{"ImportPath":"example.com/c [example.com/c.test]","Action":"build-output","Output":"c.go:3:1: syntax error\n"}
{"ImportPath":"example.com/c [example.com/c.test]","Action":"build-fail"}
{"Action":"output","Package":"example.com/c","Output":"FAIL\texample.com/c [build failed]\n"}
{"Action":"fail","Package":"example.com/c","Elapsed":0}
{"Action":"output","Package":"example.com/d","Output":"?   \texample.com/d\t[no test files]\n"}
{"Action":"skip","Package":"example.com/d","Elapsed":0}
`

func TestParseTestJSONCountsFailuresAndCUDATests(t *testing.T) {
	s := ParseTestJSON(strings.NewReader(testStream))
	assert.Equal(t, 2, s.Passed, "TestForward, TestTable (subtests count with their parent)")
	assert.Equal(t, 1, s.Failed, "TestLoss")
	assert.Equal(t, 1, s.Skipped, "TestCUDAParity")
	assert.Equal(t, []PackageRun{
		{Package: "example.com/a", Status: "pass", Seconds: 1.5},
		{Package: "example.com/b", Status: "fail", Seconds: 2},
		{Package: "example.com/c", Status: "fail", Seconds: 0},
		{Package: "example.com/d", Status: "skip", Seconds: 0},
	}, s.Packages)
	assert.Equal(t, []TestRun{{Package: "example.com/a", Test: "TestCUDAParity", Status: "skip", Seconds: 0}}, s.DeviceTests)
	require.Len(t, s.Failures, 3)
	assert.Equal(t, TestFailure{Package: "example.com/b", Test: "TestLoss/nan", Output: "    loss is NaN at step 3\n"}, s.Failures[0])
	assert.Equal(t, "TestLoss", s.Failures[1].Test)
	assert.Equal(t, TestFailure{Package: "example.com/c", Test: "(build)", Output: "c.go:3:1: syntax error\n"}, s.Failures[2],
		"a build failure is reported once, with the compiler's output")
}

func TestTailKeepsWholeLastLines(t *testing.T) {
	assert.Equal(t, "short", tail("short", 10))
	assert.Equal(t, "…\nline3\n", tail("line1\nline2\nline3\n", 9))
}
