package data_test

import (
	"fmt"

	"github.com/angioseg/dskd/data"
)

func Example() {
	ds, err := data.OpenDCA1("../testdata/dca1")
	if err != nil {
		fmt.Println(err)
		return
	}
	split, err := ds.ConventionalSplit()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := data.IteratorConfig{
		BatchSize: 2,
		Seed:      1,
		Shuffle:   true,
		Augment:   data.DefaultAugment(128),
		Normalize: data.NormZScore,
	}
	for epoch := 0; epoch < 2; epoch++ {
		it, err := data.NewIterator(split.Train, cfg, epoch)
		if err != nil {
			fmt.Println(err)
			return
		}
		for it.Next() {
			b := it.Batch()
			fmt.Println("epoch", epoch, "batch", b.Index, b.Shape(), b.Names)
		}
		if err := it.Err(); err != nil {
			fmt.Println(err)
		}
		it.Close()
	}
	val, err := data.Sequential(split.Test, data.NormZScore)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer val.Close()
	for val.Next() {
		b := val.Batch()
		fmt.Println("test", b.Names[0], b.H, b.W)
	}
	// Output:
	// epoch 0 batch 0 [1 1 128 128] [7]
	// epoch 1 batch 0 [1 1 128 128] [7]
	// test 101 300 300
	// test 120 300 300
}
