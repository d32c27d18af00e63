//go:generate go run ../../cmd/dskd-synth --layout testdata --out ../../testdata

package synth

// Contents of the repository's testdata/ folder (see WriteTestdata).
var (
	// TestdataSeed seeds every generated layout in testdata/.
	TestdataSeed int64 = 20240601
	// TestdataDCA1IDs: one conventional-train id (<= 100) and two test ids (>= 101).
	TestdataDCA1IDs = []int{7, 101, 120}
	// TestdataXCADLabelled and TestdataXCADUnlabelled size testdata/xcad.
	TestdataXCADLabelled   = 3
	TestdataXCADUnlabelled = 2
	// TestdataDirs are the folders of testdata/ written by WriteTestdata.
	TestdataDirs = []string{"dca1", "xcad", "generic", "bad"}
	// TestdataGeneric pairs of 64x64 PNG in testdata/generic.
	TestdataGeneric = 6
)

// WriteTestdata regenerates the complete testdata tree under root:
// dca1/ (300x300 PGM), xcad/ (512x512 PNG), generic/ (64x64 PNG) and bad/
// (broken-file fixtures, see WriteBadFixtures). Output is deterministic.
func WriteTestdata(root string) error {
	if err := WriteDCA1(root+"/dca1", TestdataDCA1IDs, DCA1Size, TestdataSeed); err != nil {
		return err
	}
	if err := WriteXCAD(root+"/xcad", TestdataXCADLabelled, TestdataXCADUnlabelled, XCADSize, TestdataSeed); err != nil {
		return err
	}
	if err := WriteGeneric(root+"/generic", TestdataGeneric, 64, TestdataSeed); err != nil {
		return err
	}
	return WriteBadFixtures(root + "/bad")
}
