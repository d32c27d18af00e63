package dskd

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRoundSigForLogs(t *testing.T) {
	assert.Equal(t, 0.0005, roundSig(0.0005000000000000002, 4), "the cosine schedule's lr as logged")
	assert.Equal(t, 0.001235, roundSig(0.00123456, 4))
	assert.Equal(t, 1234.0, roundSig(1234.4, 4))
	assert.Equal(t, 0.0, roundSig(0, 4))
}

func TestWidenThresholdKeepsTheFloat32AndReadsShort(t *testing.T) {
	for _, th := range []float32{0.36, 0.44999998807907104, 0.5, 0.01, 0.99, 1e-7} {
		w := widenThreshold(th)
		assert.Equal(t, th, float32(w), "%v binarises as before", th)
	}
	assert.Equal(t, 0.36, widenThreshold(0.36))
	assert.Equal(t, 0.45, widenThreshold(0.45))
	assert.Equal(t, 0.5, widenThreshold(0.5))
}
