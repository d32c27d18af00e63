package mallocenv

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The two spellings name the same values: what dskd applies to itself is
// what the PyTorch peer of bench/compare runs under.
func TestSettingsAndEnvAgree(t *testing.T) {
	assert.Equal(t, []string{"M_MMAP_THRESHOLD=1073741824", "M_TRIM_THRESHOLD=2147483647",
		"M_TOP_PAD=268435456", "M_ARENA_MAX=1"}, Settings())
	assert.Equal(t, []string{"MALLOC_MMAP_THRESHOLD_=1073741824", "MALLOC_TRIM_THRESHOLD_=2147483647",
		"MALLOC_TOP_PAD_=268435456", "MALLOC_ARENA_MAX=1"}, Env())
}
