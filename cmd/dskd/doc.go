// Command dskd trains, evaluates and applies DSKD segmentation models
// without writing Go.
//
//	dskd train   --dataset xcad|dca1|folder --data DIR [training flags]
//	dskd eval    --run RUN --dataset xcad|dca1|folder --data DIR [--on test|val|all]
//	dskd predict --run RUN|--weights FILE --out DIR [--tta] [--threshold T] IMAGE...
//	dskd study   --dir D [--dataset L --data DIR --presets P,Q --seeds S,T --set PATH=V,W ...]
//	dskd export  --run RUN|--checkpoint DIR|--weights FILE --out FILE.safetensors|.pt|.onnx [--side-outputs]
//	dskd report  --run RUN      # RUN/report.html from the run folder, also for a stopped run
//	dskd launch  --nproc-per-node N [--nnodes M --node-rank K --master ADDR:PORT] -- train [training flags]
//	                            # data-parallel training: N ranks here (one per GPU), M servers
//
// RUN is a run folder written by train (its best checkpoint is used) or a
// checkpoint folder. Each subcommand prints its flags with -h (exit status
// 0). Flags may follow the images of predict; after -- every argument is
// an image.
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
