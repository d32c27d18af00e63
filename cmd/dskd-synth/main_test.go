package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

func TestCommandLine(t *testing.T) {
	out, errOut, code := cmdtest.Run(t, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: dskd-synth --out DIR")
	assert.Empty(t, errOut)

	_, errOut, code = cmdtest.Run(t, "--out", t.TempDir(), "extra")
	assert.Equal(t, 1, code)
	assert.Equal(t, "dskd-synth: unexpected argument \"extra\" (dskd-synth takes flags only; -h lists them)\n", errOut)

	dir := t.TempDir()
	_, errOut, code = cmdtest.Run(t, "--layout", "generic", "--n", "1", "--size", "32", "--out", dir)
	assert.Equal(t, 0, code, errOut)
	assert.FileExists(t, filepath.Join(dir, "images", "000.png"))
}
