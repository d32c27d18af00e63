package study

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
)

// A DCA1 study draws its folds from the conventional training ids (data's
// rule, DCA1.TrainSamples): 1..100 in id order, never a test id.
func TestStudyPoolIsDCA1TrainingIDs(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, synth.WriteDCA1(dir, []int{101, 1, 100, 3, 134}, 32, 1))
	pool, err := openStudyPool(LayoutDCA1, dir)
	require.NoError(t, err)
	var names []string
	for _, s := range pool {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"1", "3", "100"}, names)
	d, err := data.OpenDCA1(dir)
	require.NoError(t, err)
	assert.Equal(t, d.TrainSamples(), pool)

	testOnly := t.TempDir()
	require.NoError(t, synth.WriteDCA1(testOnly, []int{101, 102}, 32, 1))
	_, err = openStudyPool(LayoutDCA1, testOnly)
	assert.EqualError(t, err, "study: DCA1 "+testOnly+" has no training ids (1-100)")
}
