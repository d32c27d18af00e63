package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The report names the command as it ran, quoted for a shell: nothing
// added (--write used to be, always), nothing dropped (an empty --drift
// used to be).
func TestCommandLineIsTheCommandThatRan(t *testing.T) {
	goRun := "/tmp/go-build2411/b001/exe/compare"
	assert.Equal(t, "go run ./bench/compare --reps 1 --drift '' --configs 16:256:4,32:512:2",
		commandLine([]string{goRun, "--reps", "1", "--drift", "", "--configs", "16:256:4,32:512:2"}))
	assert.Equal(t, "go run ./bench/compare", commandLine([]string{goRun}))
	cached := "/root/.cache/go-build/1b/1ba6125-d/compare" // go run since Go 1.24: the build cache
	assert.Equal(t, "go run ./bench/compare --precision bf16", commandLine([]string{cached, "--precision", "bf16"}))
	assert.Equal(t, `./compare --before '/tmp/old bench' --before-label 'it'\''s $HOME' --write`,
		commandLine([]string{"./compare", "--before", "/tmp/old bench", "--before-label", "it's $HOME", "--write"}))
	assert.Equal(t, "'/opt/my tools/compare' -reps=3", commandLine([]string{"/opt/my tools/compare", "-reps=3"}))
	assert.Equal(t, "", commandLine(nil))
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "''",
		"16:128:2":         "16:128:2",
		"--drift-json=a,b": "--drift-json=a,b",
		"a b":              "'a b'",
		"a'b":              `'a'\''b'`,
		"*":                "'*'",
		"x;rm":             "'x;rm'",
	} {
		assert.Equal(t, want, shellQuote(in), "%q", in)
	}
}

func TestRenderQuotesTheCommand(t *testing.T) {
	cmd := "go run ./bench/compare --reps 1 --drift ''"
	md := render(opts{device: "cpu", python: "/nonexistent/python3", reps: 1, steps: 2, threads: 2}, cmd, nil, nil, nil, nil, 61*time.Second)
	first, _, _ := strings.Cut(md, "\n")
	assert.True(t, strings.HasSuffix(first, ". `"+cmd+"` (took 1m1s)."), first)
	assert.NotContains(t, first, "--write")
}
