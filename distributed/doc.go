// Package distributed describes data-parallel training across processes: one
// process (rank) per device, on one server or several, each training a
// replica of the model on its share of every epoch, with the gradients
// averaged across ranks at each step by libtorch's own distributed engine,
// c10d (Gloo on CPU, NCCL on CUDA) — what PyTorch's
// DistributedDataParallel runs on. The trainer (dskd.Train, dskd.Resume)
// does the work; this package holds the configuration every rank needs and
// reads it from the environment variables torchrun and cluster schedulers
// set, so that a process started by `dskd launch`, torchrun or a
// scheduler needs nothing else:
//
//	RANK         this process's rank, 0 .. WORLD_SIZE-1
//	WORLD_SIZE   the number of processes (1, or unset: no distribution)
//	LOCAL_RANK   its rank on this server (which GPU it takes); default RANK
//	LOCAL_WORLD_SIZE  ranks on this server, which share its cores; default unknown
//	MASTER_ADDR  where rank 0 serves the rendezvous; default 127.0.0.1
//	MASTER_PORT  its port; default 29500
//	DSKD_DIST_BACKEND  gloo or nccl; default nccl on CUDA, gloo on CPU
//	DSKD_DIST_TIMEOUT  how long any rank waits for the others (Go duration,
//	                   e.g. 10m); default 30m, PyTorch's
//
// A peer that dies makes every other rank's next collective fail at once
// (Gloo sees its connections close); a peer that never arrives, or stops
// answering, is an error after the timeout. No rank ever hangs silently.
//
// Available says whether the linked libtorch can do it at all: the setup
// compiles dskd's c10d shim with the backends it finds (dskd-setup --print
// shows "distributed: gloo" or why not).
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package distributed
