// Command xcad trains and evaluates DSKD on XCAD (Ma et al., ICCV 2021).
//
//	go run ./examples/xcad --data /path/to/XCAD            # 5-fold CV, fold 0
//	go run ./examples/xcad --data /path/to/XCAD --split fixed --preset unet
//	go run ./examples/xcad                                  # the demo: generated data
//
// --data is the official layout (train/ unlabelled frames, test/images and
// test/masks holding the 126 labelled images). Without --data, a small
// generated data set in the same layout (256x256, so the demo finishes in
// minutes on two CPU cores) is written under the run folder and used, with
// a configuration sized for it. Every other option: -h, or --config.
package main
