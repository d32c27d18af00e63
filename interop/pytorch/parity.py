"""Test driver for interop's Go tests (go test ./interop): runs the PyTorch
side of the parity checks and onnx.checker. Not needed to use the model.

    parity.py forward WEIGHTS INPUT OUT      dskd weights -> PyTorch forward
    parity.py make CONFIG SEED INPUT OUTDIR  PyTorch weights + forward -> dskd
    parity.py check-onnx MODEL               onnx.checker (full check)
    parity.py state-dicts CONFIGS            [[name, shape, is_buffer], ...] per config

CONFIGS is a JSON list of DskdUNet argument objects.

INPUT holds "x" [N, C, H, W]; outputs are safetensors files of logits
"y0" (coarsest) .. "y{depth-1}" (main), models.Output.Hierarchy's order.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def forward_all(model, x):
    import torch
    with torch.no_grad():
        return {f"y{i}": y.contiguous() for i, y in enumerate(model.eval()(x, hierarchy=True))}


def cmd_forward(weights, inp, out):
    import torch
    from dskd_unet import DskdUNet, load_dskd, read_safetensors, write_safetensors
    model, meta = load_dskd(weights)
    if weights.endswith(".pt"):
        # The plain PyTorch path, without this module's helpers.
        sd = torch.load(weights, map_location="cpu", weights_only=True)
        assert all(v.dtype == torch.float32 for v in sd.values()), "non-float32 tensor"
        DskdUNet(**meta["config"]).load_state_dict(sd, strict=True)
    x = read_safetensors(inp)[0]["x"]
    write_safetensors(out, forward_all(model, x))
    print(json.dumps({"state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()], "config": meta["config"],
                      "normalize": meta["normalize"], "threshold": meta["threshold"]}))


def cmd_make(config, seed, inp, outdir):
    import torch
    from dskd_unet import DskdUNet, read_safetensors, write_safetensors
    torch.manual_seed(int(seed))
    model = DskdUNet(**json.loads(config))
    with torch.no_grad():  # non-trivial BatchNorm statistics and biases
        for name, t in model.state_dict().items():
            if name.endswith("running_var") or (".bn" in name and name.endswith("weight")):
                t.uniform_(0.5, 1.5)
            elif name.endswith("bias") or name.endswith("running_mean"):
                t.normal_(0.0, 0.1)
    sd = model.state_dict()
    torch.save(sd, os.path.join(outdir, "torch.pt"))
    write_safetensors(os.path.join(outdir, "torch.safetensors"), sd)
    x = read_safetensors(inp)[0]["x"]
    write_safetensors(os.path.join(outdir, "expected.safetensors"), forward_all(model, x))
    print(json.dumps({"state_dict": [[k, list(v.shape)] for k, v in sd.items()]}))


def cmd_state_dicts(configs):
    from dskd_unet import DskdUNet
    out = []
    for cfg in json.loads(configs):
        model = DskdUNet(**cfg)
        buffers = {name for name, _ in model.named_buffers()}
        out.append([[k, list(v.shape), k in buffers] for k, v in model.state_dict().items()])
    print(json.dumps(out))


def cmd_check_onnx(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print(json.dumps({"ir_version": model.ir_version, "opset": [o.version for o in model.opset_import],
                      "onnx": onnx.__version__,
                      "inputs": [i.name for i in model.graph.input],
                      "outputs": [o.name for o in model.graph.output],
                      "metadata": {p.key: p.value for p in model.metadata_props}}))


if __name__ == "__main__":
    cmds = {"forward": cmd_forward, "make": cmd_make, "check-onnx": cmd_check_onnx, "state-dicts": cmd_state_dicts}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
