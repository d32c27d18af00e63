// Command xcad trains and evaluates DSKD on XCAD (Ma et al., ICCV 2021),
// written on dskd's public API only, as a starting point for your own
// program: open the data set, split it, configure, dskd.Train, print the
// test metrics, predict one image.
//
//	go run ./examples/xcad                                  # the demo: generated data
//	go run ./examples/xcad --data /path/to/XCAD --fold 2    # test fold 2 of a seeded 5-fold split
//	go run ./examples/xcad --data /path/to/XCAD --config my.json
//
// --data is the official layout (train/ unlabelled frames, test/images and
// test/masks holding the 126 labelled images). With --unlabelled, the
// frames of train/ are learnt from through the teacher, with the
// soft-Dice pixel term (semi-supervised, docs/semi-supervised.md; off by
// default: on DCA1 at 10 labels the best setting found was level with
// supervised training, not ahead). Without --data, a small generated data set in
// the same layout (256x256, 56 labelled images and 40 frames) is written
// under the run folder and trained with a configuration sized for it. For every training
// option from the command line, use `dskd train` (cmd/dskd).
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
