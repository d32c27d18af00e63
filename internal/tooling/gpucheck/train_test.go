package gpucheck

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMetricsCSVTakesMedianAfterFirstEpochAndBestDice(t *testing.T) {
	csv := `epoch,train_loss,ddl,val_dice,val_iou,lr,alpha,seconds
0,1.2,0.1,0.41,0.3,0.001,0,9.5
1,1.0,0.1,,0.3,0.001,0.1,2.0
2,0.9,0.1,0.63,0.5,0.001,0.2,3.0
3,0.8,0.1,0.58,0.5,0.001,0.3,2.5
`
	r, err := ParseMetricsCSV(strings.NewReader(csv))
	require.NoError(t, err)
	assert.Equal(t, 4, r.Epochs)
	assert.Equal(t, Float(9.5), r.FirstEpochS)
	assert.Equal(t, Float(2.5), r.SecondsPerEpoch, "median of 2.0, 3.0, 2.5")
	assert.Equal(t, Float(0.63), r.BestValDice, "the empty cell (not validated) is no score")
	assert.Equal(t, Float(0.58), r.LastValDice)
}

func TestParseMetricsCSVWithoutValidationGivesNull(t *testing.T) {
	r, err := ParseMetricsCSV(strings.NewReader("epoch,train_loss,val_dice,lr,alpha,seconds\n0,1,,0.001,0,4\n"))
	require.NoError(t, err)
	assert.Equal(t, Float(4), r.SecondsPerEpoch, "one epoch: its own time")
	assert.True(t, math.IsNaN(float64(r.BestValDice)))
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"best_val_dice":null`)
}

func TestParseMetricsCSVRejectsOtherFiles(t *testing.T) {
	_, err := ParseMetricsCSV(strings.NewReader("epoch,loss\n0,1\n"))
	assert.ErrorContains(t, err, "no val_dice column")
	_, err = ParseMetricsCSV(strings.NewReader("epoch,val_dice,seconds\n"))
	assert.ErrorContains(t, err, "no epoch row")
}

func TestTrainArgs(t *testing.T) {
	c := Config{Data: "/data/dca1", Train: TrainConfig{Epochs: 3, Base: 32, Crop: 256, Extra: []string{"--precision", "bf16"}}}
	assert.Equal(t, []string{"train", "--dataset", "dca1", "--data", "/data/dca1", "--out", "/r/train-b16", "--device", "cuda",
		"--epochs", "3", "--batch", "16", "--crop", "256", "--base", "32", "--preset", "unet", "--quiet", "--overwrite",
		"--precision", "bf16"}, trainArgs(c, "cuda", "/r/train-b16", c.Data, "unet", 16))
}
