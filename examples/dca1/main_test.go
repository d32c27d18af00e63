package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

func TestHelpAndStrayArgument(t *testing.T) {
	out, errOut, code := cmdtest.Run(t, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: dca1 [--data DIR] [flags]")
	assert.Empty(t, errOut)

	_, errOut, code = cmdtest.Run(t, "--epochs", "1", "/data/dca1")
	assert.Equal(t, 1, code)
	assert.Equal(t, "dca1: unexpected argument \"/data/dca1\" (dca1 takes flags only; -h lists them)\n", errOut)
}
