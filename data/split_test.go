package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKFoldDisjointAndCovering(t *testing.T) {
	all := fakeSamples(126)
	seen := map[string]int{}
	for f := 0; f < 5; f++ {
		s, err := KFold(all, 5, f, 42)
		require.NoError(t, err)
		assert.Len(t, s.Train, 126-len(s.Test))
		assert.True(t, len(s.Test) == 25 || len(s.Test) == 26, "fold %d size %d", f, len(s.Test))
		test := map[string]bool{}
		for _, x := range s.Test {
			seen[x.Name]++
			test[x.Name] = true
		}
		for _, x := range s.Train {
			assert.False(t, test[x.Name], "fold %d: %s in train and test", f, x.Name)
		}
	}
	assert.Len(t, seen, 126)
	for name, c := range seen {
		assert.Equal(t, 1, c, name)
	}
}

func TestKFoldSeeded(t *testing.T) {
	all := fakeSamples(20)
	a, _ := KFold(all, 5, 1, 1)
	b, _ := KFold(all, 5, 1, 1)
	c, _ := KFold(all, 5, 1, 2)
	assert.Equal(t, names(a.Test), names(b.Test))
	assert.NotEqual(t, names(a.Test), names(c.Test))
}

func TestKFoldBadArguments(t *testing.T) {
	_, err := KFold(fakeSamples(3), 5, 0, 1)
	assert.ErrorContains(t, err, "data: KFold: k=5 invalid for 3 samples")
	_, err = KFold(fakeSamples(10), 5, 5, 1)
	assert.ErrorContains(t, err, "fold=5 out of range 0..4")
}

func TestValidationCarvedFromTrainOnly(t *testing.T) {
	all := fakeSamples(134)
	base := Split{Train: all[:100], Test: all[100:]}
	s, err := base.WithValidation(0.2, 0, 9)
	require.NoError(t, err)
	assert.Len(t, s.Val, 20)
	assert.Len(t, s.Train, 80)
	assert.Equal(t, names(base.Test), names(s.Test))
	test := map[string]bool{}
	for _, x := range s.Test {
		test[x.Name] = true
	}
	inTrain := map[string]bool{}
	for _, x := range s.Train {
		inTrain[x.Name] = true
	}
	for _, v := range s.Val {
		assert.False(t, test[v.Name], "val %s overlaps test", v.Name)
		assert.False(t, inTrain[v.Name], "val %s overlaps train", v.Name)
	}
	again, _ := base.WithValidation(0.2, 0, 9)
	assert.Equal(t, names(s.Val), names(again.Val))
	other, _ := base.WithValidation(0.2, 0, 10)
	assert.NotEqual(t, names(s.Val), names(other.Val))

	byCount, err := base.WithValidation(0, 7, 9)
	require.NoError(t, err)
	assert.Len(t, byCount.Val, 7)
}

func TestValidationBadArguments(t *testing.T) {
	base := Split{Train: fakeSamples(5)}
	for _, c := range []struct {
		frac  float64
		count int
		want  string
	}{
		{0, 0, "need fraction"},
		{0.5, 2, "not both"},
		{1.5, 0, "outside (0,1)"},
		{0, 5, "leaves no training samples"},
		{0, -1, "need fraction"},
	} {
		_, err := base.WithValidation(c.frac, c.count, 1)
		assert.ErrorContains(t, err, c.want, "%+v", c)
	}
}
