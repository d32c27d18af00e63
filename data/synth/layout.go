package synth

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/data"
)

// Default image sizes of the official layouts.
const (
	DCA1Size = 300
	XCADSize = 512
)

// SampleSeed derives the seed of sample i of a layout generated with seed.
func SampleSeed(seed int64, i int) int64 {
	return int64(splitmix(uint64(seed) ^ splitmix(uint64(i)+0x51a7)))
}

// WriteDCA1 writes ids as dir/N.pgm + dir/N_gt.pgm (8-bit P5, mask 0/255) of
// size×size (0: DCA1Size). Sample id uses SampleSeed(seed, id).
func WriteDCA1(dir string, ids []int, size int, seed int64) error {
	if size == 0 {
		size = DCA1Size
	}
	for _, id := range ids {
		img, mask := Angiogram(size, SampleSeed(seed, id))
		if err := writeImage(filepath.Join(dir, fmt.Sprintf("%d.pgm", id)), img); err != nil {
			return err
		}
		if err := writeImage(filepath.Join(dir, fmt.Sprintf("%d_gt.pgm", id)), mask); err != nil {
			return err
		}
	}
	return nil
}

// WriteXCAD writes nLabelled pairs root/test/images/NNN.png +
// root/test/masks/NNN.png and nUnlabelled frames under root/train/ (split
// over subfolders seq_A, seq_B, ... of up to 2 frames each), all size×size 8-bit
// gray PNG (0: XCADSize).
func WriteXCAD(root string, nLabelled, nUnlabelled, size int, seed int64) error {
	if size == 0 {
		size = XCADSize
	}
	for i := 0; i < nLabelled; i++ {
		img, mask := Angiogram(size, SampleSeed(seed, i))
		name := fmt.Sprintf("%03d.png", i)
		if err := writeImage(filepath.Join(root, "test", "images", name), img); err != nil {
			return err
		}
		if err := writeImage(filepath.Join(root, "test", "masks", name), mask); err != nil {
			return err
		}
	}
	for i := 0; i < nUnlabelled; i++ {
		img, _ := Angiogram(size, SampleSeed(seed, 100000+i))
		p := filepath.Join(root, "train", fmt.Sprintf("seq_%c", 'A'+byte(i/2%26)), fmt.Sprintf("frame_%03d.png", i))
		if err := writeImage(p, img); err != nil {
			return err
		}
	}
	return nil
}

// WriteGeneric writes n pairs root/images/NNN.png + root/masks/NNN.png of
// size×size (0: DCA1Size).
func WriteGeneric(root string, n, size int, seed int64) error {
	if size == 0 {
		size = DCA1Size
	}
	for i := 0; i < n; i++ {
		img, mask := Angiogram(size, SampleSeed(seed, i))
		name := fmt.Sprintf("%03d.png", i)
		if err := writeImage(filepath.Join(root, "images", name), img); err != nil {
			return err
		}
		if err := writeImage(filepath.Join(root, "masks", name), mask); err != nil {
			return err
		}
	}
	return nil
}

// writeImage encodes by extension (.pgm: 8-bit P5, otherwise PNG), creating parent folders.
func writeImage(path string, img *data.Image) error {
	var b bytes.Buffer
	var err error
	if filepath.Ext(path) == ".pgm" {
		err = data.EncodePGM(&b, img, 255)
	} else {
		err = data.EncodePNG(&b, img)
	}
	if err != nil {
		return err
	}
	return writeFile(path, b.Bytes())
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
