package main

import (
	"testing"

	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

func TestMain(m *testing.M) { cmdtest.Main(m, main) }

func TestCommandLine(t *testing.T) {
	cmdtest.HelpAndStrayArgument(t, "xcad", "usage: xcad [--data DIR] [flags]")
}
