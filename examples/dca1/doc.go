// Command dca1 trains and evaluates DSKD on DCA1 (Cervantes-Sanchez et al.,
// 2019): 134 angiograms, 300x300 PGM, N.pgm with ground truth N_gt.pgm.
//
//	go run ./examples/dca1 --data /path/to/Database_134_Angiograms
//	go run ./examples/dca1 --data dca1-train --val-count 10 --base 16   # training ids only
//	go run ./examples/dca1                                              # generated data
//
// The conventional split trains on ids 1-100 and tests on 101-134; the
// validation split is carved from the training ids. Without --data, a small
// generated set in the DCA1 layout is written under the run folder.
package main
