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
	assert.Contains(t, out, "usage: xcad [--data DIR] [flags]")
	assert.Empty(t, errOut)

	_, errOut, code = cmdtest.Run(t, "--epochs", "1", "/data/xcad")
	assert.Equal(t, 1, code)
	assert.Equal(t, "xcad: unexpected argument \"/data/xcad\" (xcad takes flags only; -h lists them)\n", errOut)
}
