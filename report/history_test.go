package report

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEpochRecordJSON(t *testing.T) {
	h := twoEpochs()
	b, err := json.Marshal(h[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"epoch":1,"train_loss":0.9,"parts":{"dice":0.5,"psdl":0.25,"ddl":0.15},
		"val_dice":null,"lr":0.001,"alpha":0.5,"lambda_ddl":0.25,"seconds":12.5}`, string(b))

	var back []EpochRecord
	b, err = json.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back, 2)
	assert.True(t, math.IsNaN(back[0].ValDice))
	assert.Equal(t, h[0].Parts, back[0].Parts)
	assert.Equal(t, h[1], back[1])

	var missing EpochRecord
	require.NoError(t, json.Unmarshal([]byte(`{"epoch":3,"train_loss":0.1}`), &missing))
	assert.Equal(t, 3, missing.Epoch)
	assert.True(t, math.IsNaN(missing.ValDice))
}
