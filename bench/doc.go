// Command bench times one training step of the DSKD objective (and a plain
// U-Net step, inference, and the data iterator) for a given model config,
// image size, batch and thread count, and reports median/min step time,
// per-phase medians, peak RSS and RSS drift as text or JSON.
//
//	go run ./bench --base 16 --size 256 --batch 4 --threads 2 --steps 20 --mode dskd --json
//
// bench/twin.py is the PyTorch twin (same flags, same JSON); bench/compare
// runs both side by side. See bench/README.md.
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
