package report

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWorstBest(t *testing.T) {
	nan := math.NaN()
	scores := []float64{0.5, 0.9, nan, 0.1, 0.7, 0.3}
	assert.Equal(t, []int{3, 1}, WorstBest(scores, 1))
	assert.Equal(t, []int{3, 5, 4, 1}, WorstBest(scores, 2))
	assert.Equal(t, []int{3, 5, 0, 4, 1}, WorstBest(scores, 3), "fewer than 2k scores: all, lowest first")
	assert.Empty(t, WorstBest(scores, 0))
	assert.Empty(t, WorstBest(scores, -1))
	assert.Empty(t, WorstBest([]float64{nan}, 2))
	assert.Equal(t, []int{0, 1}, WorstBest([]float64{0.5, 0.5}, 1), "ties keep input order, without repeats")
}

func TestOverlayFileName(t *testing.T) {
	assert.Equal(t, "17.png", OverlayFileName("17"))
	assert.Equal(t, "sub_dir_a_b.png", OverlayFileName(`sub/dir\a b`))
}
