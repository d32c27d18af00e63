package metrics_test

import (
	"fmt"

	"github.com/angioseg/dskd/metrics"
)

func Example() {
	acc, err := metrics.NewAccumulator() // threshold 0.5, 0/0 -> 1, clDice on
	if err != nil {
		panic(err)
	}
	// Two 2x3 angiogram crops: probabilities and 0/1 vessel masks.
	_ = acc.Add("img1",
		[]float32{0.9, 0.8, 0.7, 0.1, 0.2, 0.3},
		[]float32{1, 1, 1, 0, 0, 0}, 2, 3)
	_ = acc.Add("img2",
		[]float32{0.6, 0.4, 0.1, 0.2, 0.9, 0.1},
		[]float32{1, 1, 0, 0, 1, 0}, 2, 3)
	res := acc.Result()
	// img2 misses one vessel pixel, (0,1), the corner of its L-shaped
	// mask; Zhang–Suen thins that L to exactly this pixel, so img2's
	// clDice is 0 although its Dice is 0.8.
	fmt.Print(res)
	dice, _ := res.Get(metrics.MetricDice)
	fmt.Printf("pooled Dice %.3f, per-image %.3f ± %.3f\n", dice.Pooled, dice.Mean, dice.Std)
	// Output:
	// 2 images, threshold 0.5 (positive when p >= t), 0/0 -> one, pooled AUC exact, std is sample (n-1)
	// metric       pooled  mean    std     n
	// dice         0.9091  0.9000  0.1414  2
	// iou          0.8333  0.8333  0.2357  2
	// accuracy     0.9167  0.9167  0.1179  2
	// sensitivity  0.8333  0.8333  0.2357  2
	// specificity  1.0000  1.0000  0.0000  2
	// precision    1.0000  1.0000  0.0000  2
	// auc          1.0000  1.0000  0.0000  2
	// cldice       0.8571  0.5000  0.7071  2
	// pooled Dice 0.909, per-image 0.900 ± 0.141
}

func ExampleSelectThresholdOnValidation() {
	valProbs := [][]float32{{0.9, 0.7, 0.6, 0.4, 0.2}}
	valMasks := [][]float32{{1, 1, 0, 1, 0}}
	t, dice, err := metrics.SelectThresholdOnValidation(valProbs, valMasks,
		metrics.ThresholdSearch{Candidates: []float32{0.3, 0.5, 0.65, 0.8}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("threshold %.2f, validation Dice %.4f\n", t, dice)
	// Output: threshold 0.30, validation Dice 0.8571
}
