package main

import (
	"testing"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

// -h and a stray argument only: a real setup run is what `make` does.
func TestCommandLine(t *testing.T) {
	cmdtest.HelpAndStrayArgument(t, "dskd-setup", "usage: dskd-setup [--print] [--install] [--quiet]")
}
