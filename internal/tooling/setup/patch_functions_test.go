package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A miniature of gotch's torch_api.cpp: one-line and multi-line functions,
// comments, a template, a brace in a string.
const handWritten = `#include <stdexcept>
#include <string>
#define PROTECT(x) try { x } catch (const std::exception &e) { (void)e; }
typedef int *tensor;
int removed_api(int);

void at_seed(int s) { PROTECT(removed_api(s);) }

// Returns the device.
bool at_autocast_is_enabled() {
  PROTECT(return removed_api(1) > 0;)
  return false;
}

template <typename T> T first(T *v) { return v[0]; }

tensor at_tensor(int *dims,
                 int n) {
  const char *s = "{ not a brace }";
  PROTECT(return new int(removed_api(n + dims[0] + s[0]));)
  return nullptr;
}

int at_kept() { return 7; }
`

func TestFindFunctionsOfHandWrittenCpp(t *testing.T) {
	fns := findFunctions(handWritten)
	var names []string
	for _, f := range fns {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"at_seed", "at_autocast_is_enabled", "at_tensor", "at_kept"}, names)
	assert.Equal(t, cppFunction{Name: "at_autocast_is_enabled", Open: fns[1].Open, Close: fns[1].Close, FirstLine: 10, EndLine: 13}, fns[1])
	assert.True(t, fns[0].Void)
	assert.Equal(t, 17, fns[2].FirstLine)
	assert.Equal(t, 22, fns[2].EndLine)
}

func TestReplaceFailingFunctionsStubsTheBlamedOnesAndCompiles(t *testing.T) {
	// What g++ says when removed_api is gone (lines 7, 11 and 20).
	log := "torch_api.cpp:7:31: error: 'removed_api' was not declared in this scope\n" +
		"torch_api.cpp: In function 'bool at_autocast_is_enabled()':\n" +
		"torch_api.cpp:11:18: error: 'removed_api' was not declared in this scope\n" +
		"torch_api.cpp:20:30: error: 'removed_api' was not declared in this scope\n"
	out, names, err := replaceFailingFunctions("torch_api.cpp", handWritten, log, "2.11.0")
	require.NoError(t, err)
	assert.Equal(t, []string{"at_seed", "at_autocast_is_enabled", "at_tensor"}, names)
	assert.Contains(t, out, `"gotch function at_autocast_is_enabled is not available in libtorch 2.11.0"`)
	assert.Contains(t, out, "int at_kept() { return 7; }")
	assert.NotContains(t, out, "removed_api(1)")
	assert.Contains(t, out, "template <typename T> T first(T *v) { return v[0]; }")

	// Without the declaration the stubbed file must compile.
	src := filepath.Join(t.TempDir(), "torch_api.cpp")
	require.NoError(t, os.WriteFile(src, []byte(strings.Replace(out, "int removed_api(int);", "", 1)), 0o644))
	if b, err := exec.Command("g++", "-std=c++17", "-fsyntax-only", src).CombinedOutput(); err != nil {
		t.Fatalf("the stubbed file does not compile: %v\n%s\n%s", err, b, out)
	}
}

func TestReplaceFailingFunctionsRefusesErrorsOutsideFunctions(t *testing.T) {
	log := "torch_api.cpp:15:35: error: something in the template\n"
	_, _, err := replaceFailingFunctions("torch_api.cpp", handWritten, log, "2.11.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lines [15]")
}
