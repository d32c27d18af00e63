package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

func TestCommandLine(t *testing.T) {
	cmdtest.HelpAndStrayArgument(t, "dskd-synth", "usage: dskd-synth --out DIR")
	dir := t.TempDir()
	_, errOut, code := cmdtest.Run(t, "--layout", "generic", "--n", "1", "--size", "32", "--out", dir)
	assert.Equal(t, 0, code, errOut)
	assert.FileExists(t, filepath.Join(dir, "images", "000.png"))
}
