package distributed

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFromEnvReadsTorchrunVariables(t *testing.T) {
	c, err := fromEnv(envOf(map[string]string{"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2",
		"MASTER_ADDR": "10.0.0.5", "MASTER_PORT": "29400", "DSKD_DIST_BACKEND": "nccl", "DSKD_DIST_TIMEOUT": "5m"}))
	require.NoError(t, err)
	assert.Equal(t, &Config{Rank: 3, WorldSize: 4, LocalRank: 1, LocalWorldSize: 2, MasterAddr: "10.0.0.5", MasterPort: 29400,
		Backend: NCCL, Timeout: 5 * time.Minute}, c)
	assert.Equal(t, "10.0.0.5:29400", c.Address())
	assert.True(t, c.Enabled())

	// Environ gives it back.
	env := map[string]string{}
	for _, kv := range c.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	back, err := fromEnv(envOf(env))
	require.NoError(t, err)
	assert.Equal(t, c, back)
}

func TestFromEnvDefaultsAndSingleProcess(t *testing.T) {
	for _, ws := range []string{"", "1"} {
		c, err := fromEnv(envOf(map[string]string{"WORLD_SIZE": ws, "RANK": "0"}))
		require.NoError(t, err)
		assert.Nil(t, c, "WORLD_SIZE %q: one process", ws)
	}
	c, err := fromEnv(envOf(map[string]string{"WORLD_SIZE": "2", "RANK": "1"}))
	require.NoError(t, err)
	assert.Equal(t, &Config{Rank: 1, WorldSize: 2, LocalRank: 1, MasterAddr: DefaultMasterAddr, MasterPort: DefaultMasterPort,
		Timeout: DefaultTimeout}, c, "LOCAL_RANK defaults to RANK")
	var none *Config
	assert.False(t, none.Enabled())
}

func TestFromEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"WORLD_SIZE": "2"}, "dist: WORLD_SIZE=2 but RANK is not set"},
		{map[string]string{"WORLD_SIZE": "two", "RANK": "0"}, `dist: WORLD_SIZE="two": not an integer`},
		{map[string]string{"WORLD_SIZE": "2", "RANK": "2"}, "dist: rank 2: must lie in 0..1 (world size 2)"},
		{map[string]string{"WORLD_SIZE": "2", "RANK": "0", "MASTER_PORT": "70000"}, "dist: master port 70000: must lie in 1..65535"},
		{map[string]string{"WORLD_SIZE": "2", "RANK": "0", "DSKD_DIST_BACKEND": "mpi"}, `dist: backend "mpi": want "gloo" or "nccl"`},
		{map[string]string{"WORLD_SIZE": "2", "RANK": "0", "DSKD_DIST_TIMEOUT": "10"}, `dist: DSKD_DIST_TIMEOUT="10": want a positive Go duration such as 10m`},
	} {
		_, err := fromEnv(envOf(tc.env))
		assert.EqualError(t, err, tc.want, "%v", tc.env)
	}
}

func TestAvailableNamesWhatIsMissing(t *testing.T) {
	have, missing := Backends()
	assert.Contains(t, have, Gloo, "the setup installs Gloo's headers (libgloo-dev) on Debian; missing: %s", missing)
	assert.NoError(t, Available(Gloo))
	err := Available("mpi")
	assert.EqualError(t, err, `dist: distributed backend "mpi": want "gloo" or "nccl"`)
}

func TestFreePort(t *testing.T) {
	p, err := FreePort("127.0.0.1")
	require.NoError(t, err)
	assert.Greater(t, p, 0)
}
