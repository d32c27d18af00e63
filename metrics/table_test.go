package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultString(t *testing.T) {
	r := threeImages(t)
	s := r.String()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	require.Len(t, lines, 2+len(AllMetrics))
	assert.Equal(t, "3 images, threshold 0.5 (positive when p >= t), 0/0 -> one, pooled AUC exact, std is sample (n-1)", lines[0])
	assert.Equal(t, "metric       pooled  mean    std     n", lines[1])
	// Dice: pooled .75, mean 5/6, std sqrt(1/12) = .288675
	assert.Equal(t, "dice         0.7500  0.8333  0.2887  3", lines[2])
	assert.Equal(t, "auc          0.9219  0.8750  0.1768  2", lines[8])
}

func TestResultCSV(t *testing.T) {
	r := threeImages(t)
	var buf bytes.Buffer
	require.NoError(t, r.WriteCSV(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Equal(t, "metric,pooled,mean,std", lines[0])
	// mean IoU = (1 + 1/3 + 1)/3 = 7/9 (last digit from float rounding)
	assert.Equal(t, "iou,0.6,0.7777777777777777,0.3849001794597505", lines[2])
	assert.Len(t, lines, 1+len(AllMetrics))

	buf.Reset()
	require.NoError(t, r.WritePerImageCSV(&buf))
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Equal(t, "name,tp,fp,tn,fn,dice,iou,accuracy,sensitivity,specificity,precision,auc,cldice", lines[0])
	assert.Equal(t, "B,1,1,1,1,0.5,0.3333333333333333,0.5,0.5,0.5,0.5,0.75,0.5", lines[2])
	assert.Equal(t, "C,0,0,4,0,1,1,1,1,1,1,NaN,1", lines[3])
}

func TestResultJSON(t *testing.T) {
	r := threeImages(t)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, 0.5, got["threshold"])
	assert.Equal(t, "one", got["zero_division"])
	assert.Equal(t, "exact", got["auc_method"])
	assert.Equal(t, 3.0, got["num_images"])
	assert.Equal(t, map[string]any{"tp": 3.0, "fp": 1.0, "tn": 7.0, "fn": 1.0}, got["pooled_counts"])
	summary := got["summary"].([]any)
	assert.Equal(t, map[string]any{"metric": "dice", "pooled": 0.75, "mean": 5.0 / 6, "std": 0.28867513459481287, "n": 3.0}, summary[0])
	images := got["images"].([]any)
	c := images[2].(map[string]any)
	assert.Equal(t, "C", c["name"])
	assert.Nil(t, c["auc"], "NaN is null")
	assert.Contains(t, c, "auc")
	assert.Equal(t, 1.0, c["dice"])

	// An empty result marshals too (all NaN -> null, images []).
	a, _ := NewAccumulator()
	b, err = json.Marshal(a.Result())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"images":[]`)
	assert.Contains(t, string(b), `"mean":null`)
}
