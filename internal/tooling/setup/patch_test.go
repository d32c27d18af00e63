package setup

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixture is the first 700 lines of gotch v0.9.1's generated wrappers and
// the errors g++ 12 printed for them against Debian's libtorch 1.13.1.
func TestReplaceFailingOnRecordedCompilerLog(t *testing.T) {
	src, err := os.ReadFile("testdata/generated-excerpt.cpp.h")
	require.NoError(t, err)
	log, err := os.ReadFile("testdata/compile-1.13.log")
	require.NoError(t, err)

	out, names, err := ReplaceFailing(string(src), string(log), "1.13.1")
	require.NoError(t, err)
	assert.Equal(t, []string{"atg__cslt_compress", "atg__cslt_sparse_mm", "atg__ctc_loss_tensor_out"}, names)

	// The failing calls are gone, replaced by errors naming the op.
	assert.NotContains(t, out, "torch::_cslt_compress(")
	assert.NotContains(t, out, "torch::_cslt_sparse_mm(")
	assert.Contains(t, out, `PROTECT(throw std::runtime_error("gotch op _cslt_compress is not available in libtorch 1.13.1");)`)
	// Signatures are kept so the C header still matches.
	assert.Contains(t, out, "void atg__cslt_compress(tensor *out__, tensor input) {")
	// Everything else is untouched: same number of wrappers, other bodies intact.
	assert.Equal(t, len(findWrappers(strings.Split(string(src), "\n"))), len(findWrappers(strings.Split(out, "\n"))))
	assert.Contains(t, out, "auto outputs__ = torch::__and__(*self, *other);")
	// A second pass with a clean log changes nothing.
	again, names2, err := ReplaceFailing(out, "", "1.13.1")
	require.NoError(t, err)
	assert.Empty(t, names2)
	assert.Equal(t, out, again)
}

func TestReplaceFailingNonVoidKeepsAReturn(t *testing.T) {
	src := strings.Join([]string{
		"// header",
		"int64_t atg_count(tensor self) {",
		"  PROTECT(",
		"    return self->count();",
		"  )",
		"  return 0;",
		"}",
		"",
		"void atg_ok(tensor *out__, tensor self) {",
		"  PROTECT(",
		"    out__[0] = new torch::Tensor(self->ok());",
		"  )",
		"}",
	}, "\n")
	log := "torch_api_generated.cpp.h:4:18: error: 'class at::Tensor' has no member named 'count'\n"
	out, names, err := ReplaceFailing(src, log, "9.9")
	require.NoError(t, err)
	assert.Equal(t, []string{"atg_count"}, names)
	want := strings.Join([]string{
		"// header",
		"int64_t atg_count(tensor self) {",
		"  // replaced by dskd-setup: this op does not compile against the linked libtorch",
		`  PROTECT(throw std::runtime_error("gotch op count is not available in libtorch 9.9");)`,
		"  return 0;",
		"}",
		"",
		"void atg_ok(tensor *out__, tensor self) {",
		"  PROTECT(",
		"    out__[0] = new torch::Tensor(self->ok());",
		"  )",
		"}",
	}, "\n")
	assert.Equal(t, want, out)
}

func TestReplaceFailingTemplateErrorsBlameTheWrapper(t *testing.T) {
	src := "void atg_a(tensor *out__) {\n  PROTECT(\n    f();\n  )\n}\nvoid atg_b(tensor *out__) {\n  PROTECT(\n    g();\n  )\n}\n"
	log := "/usr/include/c10/util/x.h:10:3: error: no matching function\ntorch_api_generated.cpp.h:8:5:   required from here\n"
	_, names, err := ReplaceFailing(src, log, "1.0")
	require.NoError(t, err)
	assert.Equal(t, []string{"atg_b"}, names)
}

func TestReplaceFailingRejectsErrorsOutsideWrappers(t *testing.T) {
	src := "#include <x>\nvoid atg_a(tensor *out__) {\n  PROTECT(f();)\n}\n"
	_, _, err := ReplaceFailing(src, "torch_api_generated.cpp.h:1:10: error: x: No such file\n", "1.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lines [1]")
}
