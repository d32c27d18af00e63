package main

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

// `dskd launch --nproc-per-node 2 -- train ...` on generated data: both
// ranks train, rank 0 alone writes and reports, the launcher says where.
func TestLaunchTrainsOnTwoRanks(t *testing.T) {
	root := t.TempDir()
	dataDir, runDir := filepath.Join(root, "data"), filepath.Join(root, "run")
	require.NoError(t, synth.WriteGeneric(dataDir, 12, 48, 3))
	out, errOut, code := cmdtest.Run(t, "launch", "--nproc-per-node", "2", "--", "train", "--dataset", "folder", "--data", dataDir,
		"--out", runDir, "--epochs", "2", "--batch", "2", "--steps-per-epoch", "2", "--base", "4", "--depth", "2", "--crop", "-1", "--quiet", "--val-count", "2")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `^dskd launch: ranks 0-1 of 2 on this server, rendezvous at 127\.0\.0\.1:\d+; rank 0 writes the run folder `+runDir+"\n", errOut)
	assert.True(t, strings.HasSuffix(errOut, "dskd launch: all 2 ranks finished; run folder: "+runDir+"\n"), errOut)
	assert.Equal(t, 1, strings.Count(out, "run folder: "+runDir), "rank 0 alone prints the result:\n%s", out)
	assert.NotContains(t, errOut, "[rank 1]", "rank 1 logs warnings only, and has none")
	st, err := dskd.ReadState(filepath.Join(runDir, "checkpoints", "epoch-0001"))
	require.NoError(t, err)
	assert.Equal(t, 2, st.WorldSize)
	assert.Equal(t, int64(4), st.Step, "2 epochs of 2 steps")
	assert.Regexp(t, `INF training .*global_batch=4 .*ranks=2 .*threads=1 `, errOut, "the 2 ranks share the server's cores")
	assert.FileExists(t, filepath.Join(runDir, "report.html"))
}

// Ranks whose peers never arrive (a second server that is not started)
// fail after --timeout, and the launcher returns the first failure with
// the rank's own words.
func TestLaunchReportsTheFailingRank(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	require.NoError(t, synth.WriteGeneric(dataDir, 8, 32, 3))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	_, errOut, code := cmdtest.Run(t, "launch", "--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "0",
		"--master", "127.0.0.1:"+strconv.Itoa(port), "--timeout", "2s", "--", "train", "--dataset", "folder", "--data", dataDir,
		"--out", filepath.Join(root, "run"), "--epochs", "1", "--base", "4", "--depth", "2", "--crop", "-1", "--quiet")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "dskd launch: ranks 0-1 of 4 on this server")
	assert.Regexp(t, `(?s)dskd: launch: rank [01] failed \(exit status 1\):\n  .*dskd: aten: meeting the other ranks as rank [01] of 4 \(gloo, 127\.0\.0\.1:`+strconv.Itoa(port)+`\)`, errOut)
	assert.Contains(t, errOut, "the other ranks were stopped")
}

func TestLaunchCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"launch", "--", "train"}, "dskd: launch: --nproc-per-node 0: give the number of ranks on this server (one per GPU)\n"},
		{[]string{"launch", "--nproc-per-node", "2"}, "dskd: launch: give the training after --: dskd launch --nproc-per-node N -- train [training flags]\n"},
		{[]string{"launch", "--nproc-per-node", "2", "--", "eval"}, "dskd: launch: give the training after --"},
		{[]string{"launch", "--nproc-per-node", "1", "--nnodes", "2", "--", "train"}, "dskd: launch: --master ADDR:PORT is required with --nnodes > 1"},
		{[]string{"launch", "--nproc-per-node", "1", "--nnodes", "2", "--node-rank", "2", "--", "train"}, "dskd: launch: --node-rank 2 of --nnodes 2"},
		{[]string{"launch", "--nproc-per-node", "1", "--master", "host", "--", "train"}, `dskd: launch: --master "host": want ADDR:PORT`},
	} {
		_, errOut, code := cmdtest.Run(t, tc.args...)
		assert.Equal(t, 1, code, "%q", tc.args)
		assert.True(t, strings.HasPrefix(errOut, tc.stderr), "%q: stderr %q", tc.args, errOut)
	}
	out, _, code := cmdtest.Run(t, "launch", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: dskd launch  --nproc-per-node N")
}
