// Command dskd-synth writes synthetic coronary angiograms with vessel masks in
// the layouts read by package data:
//
//	go run ./cmd/dskd-synth --layout dca1|xcad|generic --out DIR --n N --seed S
//	go run ./cmd/dskd-synth --layout testdata --out testdata   # regenerate the shipped testdata
//
// dca1: DIR/1.pgm, DIR/1_gt.pgm ... DIR/N.pgm, DIR/N_gt.pgm (300x300 8-bit PGM).
// xcad: DIR/test/images/NNN.png + DIR/test/masks/NNN.png (N labelled, 512x512 PNG)
// and --unlabelled frames under DIR/train/seq_*/.
// generic: DIR/images/NNN.png + DIR/masks/NNN.png (300x300 PNG).
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
