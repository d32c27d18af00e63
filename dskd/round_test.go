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
