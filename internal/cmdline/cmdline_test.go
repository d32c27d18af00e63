package cmdline

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newFlags(errOut *bytes.Buffer) (*flag.FlagSet, *bool, *string) {
	fs := flag.NewFlagSet("dskd predict", flag.ContinueOnError)
	fs.SetOutput(errOut)
	tta := fs.Bool("tta", false, "flip test-time augmentation")
	out := fs.String("out", "predictions", "output folder")
	Usage(fs, "usage: dskd predict [flags] IMAGE...")
	return fs, tta, out
}

func TestParseFlagsAfterPositionals(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		tta  bool
		out  string
	}{
		{[]string{"a.png", "--tta"}, []string{"a.png"}, true, "predictions"},
		{[]string{"a.png", "--out", "o", "b.pgm", "-tta"}, []string{"a.png", "b.pgm"}, true, "o"},
		{[]string{"--tta", "a.png", "b.png"}, []string{"a.png", "b.png"}, true, "predictions"},
		{[]string{"a.png", "--", "--tta", "-x"}, []string{"a.png", "--tta", "-x"}, false, "predictions"},
		{[]string{"--", "--tta"}, []string{"--tta"}, false, "predictions"},
		{nil, nil, false, "predictions"},
	} {
		var errOut bytes.Buffer
		fs, tta, out := newFlags(&errOut)
		pos, err := Parse(fs, tc.args)
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.pos, pos, "%q", tc.args)
		assert.Equal(t, tc.tta, *tta, "%q", tc.args)
		assert.Equal(t, tc.out, *out, "%q", tc.args)
		assert.Empty(t, errOut.String())
	}
}

func TestParseHelpGoesToStdout(t *testing.T) {
	var help, errOut bytes.Buffer
	old := HelpOutput
	HelpOutput = &help
	t.Cleanup(func() { HelpOutput = old })
	fs, _, _ := newFlags(&errOut)
	_, err := Parse(fs, []string{"a.png", "-h"})
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "usage: dskd predict [flags] IMAGE...\nflags:\n  -out string")
	assert.Contains(t, help.String(), "-tta")
	assert.Empty(t, errOut.String())
	assert.Equal(t, 0, Run("dskd", nil, func([]string) error { return err }, &errOut))
}

func TestParseBadFlag(t *testing.T) {
	var errOut bytes.Buffer
	fs, _, _ := newFlags(&errOut)
	_, err := Parse(fs, []string{"a.png", "--ttta"})
	require.Error(t, err)
	assert.Contains(t, errOut.String(), "flag provided but not defined: -ttta\nusage: dskd predict")
	var stderr bytes.Buffer
	assert.Equal(t, 2, Run("dskd", nil, func([]string) error { return err }, &stderr))
	assert.Empty(t, stderr.String(), "the flag set already said it")
}

func TestParseNoArgs(t *testing.T) {
	var errOut bytes.Buffer
	fs, tta, _ := newFlags(&errOut)
	err := ParseNoArgs(fs, []string{"--tta", "runs/a"})
	assert.EqualError(t, err, `unexpected argument "runs/a" (dskd predict takes flags only; -h lists them)`)
	assert.True(t, *tta)
	fs, _, _ = newFlags(&errOut)
	assert.NoError(t, ParseNoArgs(fs, []string{"--tta"}))
}

func TestRunAndMessage(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, Run("dskd", []string{"x"}, func(a []string) error { assert.Equal(t, []string{"x"}, a); return nil }, &stderr))
	inner := errors.New("dskd: data: /d/101.pgm: decoding: pgm: truncated pixel data")
	assert.Equal(t, 1, Run("dskd", nil, func([]string) error { return fmt.Errorf("%w", inner) }, &stderr))
	assert.Equal(t, "dskd: data: /d/101.pgm: decoding: pgm: truncated pixel data\n", stderr.String(), "one dskd: prefix")
	assert.Equal(t, "xcad: dskd: epochs 0", Message("xcad", errors.New("dskd: epochs 0")))
	assert.Equal(t, "dskd: --data is required", Message("dskd", errors.New("--data is required")))
}

func TestRunExitSetsStatusAndLine(t *testing.T) {
	var stderr bytes.Buffer
	code := Run("dskd", nil, func([]string) error {
		return fmt.Errorf("wrapped: %w", &Exit{Code: 143, Message: "stopped at epoch 2 step 5; continue with: dskd train --resume --out runs/a"})
	}, &stderr)
	assert.Equal(t, 143, code)
	assert.Equal(t, "stopped at epoch 2 step 5; continue with: dskd train --resume --out runs/a\n", stderr.String(), "the line as it is, no prefix")
	stderr.Reset()
	assert.Equal(t, 130, Run("dskd", nil, func([]string) error { return &Exit{Code: 130} }, &stderr))
	assert.Empty(t, stderr.String())
}
