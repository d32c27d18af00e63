package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaskAllZeroIsValid(t *testing.T) {
	logs := captureLogs(t)
	m, err := LoadMask(td("bad", "mask_zero.png"))
	require.NoError(t, err)
	assert.Equal(t, 0.0, m.ForegroundFraction())
	assert.Contains(t, logs.String(), "mask is all zero")
}

func TestMask01EncodingTreatsOneAsForeground(t *testing.T) {
	logs := captureLogs(t)
	m, err := LoadMask(td("bad", "mask_01.png"))
	require.NoError(t, err)
	assert.Equal(t, float32(1), m.At(8, 8))
	assert.Equal(t, float32(1), m.At(15, 15))
	assert.Equal(t, float32(0), m.At(16, 16))
	assert.Equal(t, 64.0/1024, m.ForegroundFraction())
	assert.Contains(t, logs.String(), "0/1 encoding")
}

func TestMaskAntialiasedThresholdedWithWarning(t *testing.T) {
	logs := captureLogs(t)
	m, err := LoadMask(td("bad", "mask_antialiased.png"))
	require.NoError(t, err)
	// first row values 0, 64, 127, 128, 200, 255, 0, 0; threshold 127.5
	assert.Equal(t, []float32{0, 0, 0, 1, 1, 1, 0, 0}, m.Pix[:8])
	for _, v := range m.Pix[8:] {
		assert.Equal(t, float32(0), v)
	}
	assert.Contains(t, logs.String(), `"level":"warn"`)
	assert.Contains(t, logs.String(), "mask is not binary (4 pixels")
}

func TestMask16BitBelowThresholdIsAnError(t *testing.T) {
	_, err := LoadMask(td("bad", "mask16_low.pgm"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "data: ")
	assert.Contains(t, err.Error(), "mask16_low.pgm")
	assert.Contains(t, err.Error(), "max 255")
}

func TestBinaryMaskHasNoWarning(t *testing.T) {
	logs := captureLogs(t)
	m, err := LoadMask(td("dca1", "7_gt.pgm"))
	require.NoError(t, err)
	assert.NotContains(t, logs.String(), "warn")
	for _, v := range m.Pix {
		require.True(t, v == 0 || v == 1)
	}
}
