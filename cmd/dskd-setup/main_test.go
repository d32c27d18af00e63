package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

// -h and a stray argument only: a real setup run is what `make` does.
func TestCommandLine(t *testing.T) {
	out, errOut, code := cmdtest.Run(t, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: dskd-setup [--print] [--install] [--quiet]")
	assert.Empty(t, errOut)

	_, errOut, code = cmdtest.Run(t, "--quiet", "now")
	assert.Equal(t, 1, code)
	assert.Equal(t, "dskd-setup: unexpected argument \"now\" (dskd-setup takes flags only; -h lists them)\n", errOut)
}
