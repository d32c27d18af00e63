"""The dskd U-Net in PyTorch: the network of models/unet.go, with the same
state_dict names and shapes, so weights move both ways with
load_state_dict(..., strict=True).

    from dskd_unet import load_dskd, predict
    model, meta = load_dskd("model.safetensors")      # or a dskd .pt
    prob = predict(model, image, meta["normalize"])   # image: HxW float tensor in [0, 1]
    mask = prob > meta["threshold"]

Needs only torch (>= 1.10); reads and writes safetensors without the
safetensors package. The layers, their state_dict names, shapes and order
are those of models.Describe (models/architecture.go); interop's Go tests
check this module's state_dict against it for many configurations
(TestPyTorchStateDictIsArchitecture). The architecture: encoder of depth+1
stages (conv3x3-BN-ReLU)x2, widths base*2^k, 2x2 max-pool between; decoder
stages: bilinear x2 upsampling (align_corners=False) and a 3x3 conv with bias
halving the channels (or a 2x2 stride-2 transposed conv), concatenation with
the skip (upsampled first), (conv3x3-BN-ReLU)x2; a side head (3x3 conv to 1
channel, upsampled to the input size) on every decoder stage but the last,
the main head (1x1 conv) on the last. Inputs are padded bottom/right to a
multiple of 2^depth (reflect when the padding is smaller than the side,
replicate otherwise) and every output is cropped back. BatchNorm keeps
running_mean/running_var but no num_batches_tracked counter (dskd has none).
"""
import json
import struct
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["DskdUNet", "BatchNorm2d", "load_dskd", "config_from_state_dict", "normalize", "predict",
           "read_safetensors", "write_safetensors"]


class BatchNorm2d(nn.Module):
    """BatchNorm over channels with exactly dskd's variables: weight, bias,
    running_mean, running_var (torch.nn.BatchNorm2d adds num_batches_tracked)."""

    def __init__(self, channels, momentum=0.1, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.momentum, self.eps = momentum, eps

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)


def _conv(cin, cout, k, bias):
    conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)
    with torch.no_grad():  # dskd's init: Kaiming normal, fan_in, ReLU gain; bias 0
        conv.weight.normal_(0.0, (2.0 / (cin * k * k)) ** 0.5)
        if bias:
            conv.bias.zero_()
    return conv


class _Stage(nn.Module):
    """(conv3x3-BN-ReLU)x2 as conv1, bn1, conv2, bn2 (an encoder stage, and
    the tail of a decoder stage)."""

    def __init__(self, cin, cout, momentum, eps):
        super().__init__()
        self.conv1 = _conv(cin, cout, 3, False)
        self.bn1 = BatchNorm2d(cout, momentum, eps)
        self.conv2 = _conv(cout, cout, 3, False)
        self.bn2 = BatchNorm2d(cout, momentum, eps)

    def double_conv(self, x):  # ReLU in place, as dskd (BatchNorm's backward needs its input, not its output)
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(x)), inplace=True)

    def forward(self, x):
        return self.double_conv(x)


class _DecoderStage(nn.Module):
    """up, then (conv3x3-BN-ReLU)x2 as conv1, bn1, conv2, bn2, and a side head."""

    def __init__(self, cin, cout, side, transpose, momentum, eps):
        super().__init__()
        if transpose:  # weight [in, out, 2, 2], like ATen's conv_transpose2d
            self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
            with torch.no_grad():
                self.up.weight.normal_(0.0, (2.0 / (cout * 4)) ** 0.5)
                self.up.bias.zero_()
        else:
            self.up = _conv(cin, cout, 3, True)
        self.transpose = transpose
        self.conv1 = _conv(2 * cout, cout, 3, False)
        self.bn1 = BatchNorm2d(cout, momentum, eps)
        self.conv2 = _conv(cout, cout, 3, False)
        self.bn2 = BatchNorm2d(cout, momentum, eps)
        self.side = _conv(cout, 1, 3, True) if side else None

    double_conv = _Stage.double_conv

    def forward(self, x, skip):
        if self.transpose:
            up = self.up(x)
        else:
            up = self.up(F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False))
        return self.double_conv(torch.cat([up, skip], 1))


class DskdUNet(nn.Module):
    """dskd's U-Net. Arguments are models.UNetConfig's fields (same defaults)."""

    def __init__(self, depth=4, base=32, in_channels=1, upsample="bilinear", bn_momentum=0.1, bn_eps=1e-5):
        super().__init__()
        if upsample not in ("bilinear", "transpose"):
            raise ValueError(f"upsample {upsample!r}: want 'bilinear' or 'transpose'")
        self.config = dict(depth=depth, base=base, in_channels=in_channels, upsample=upsample,
                           bn_momentum=bn_momentum, bn_eps=bn_eps)
        self.depth = depth
        width = lambda k: base << k
        for k in range(depth + 1):
            cin = in_channels if k == 0 else width(k - 1)
            setattr(self, f"enc{k}", _Stage(cin, width(k), bn_momentum, bn_eps))
        for j in range(depth):
            k = depth - 1 - j
            setattr(self, f"dec{j}", _DecoderStage(width(k + 1), width(k), j < depth - 1,
                                                   upsample == "transpose", bn_momentum, bn_eps))
        self.head = _conv(width(0), 1, 1, True)

    def forward(self, x, hierarchy=False):
        """Logits [N, 1, H, W] of the main head; with hierarchy=True the list
        of every depth's logits, coarse to fine (the last is the main one),
        like models.Output.Hierarchy."""
        h, w = x.shape[2], x.shape[3]
        mult = 1 << self.depth
        ph, pw = (-h) % mult, (-w) % mult
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        full = x.shape[2:]
        skips = []
        cur = self.enc0(x)
        for k in range(1, self.depth + 1):
            skips.append(cur)
            cur = getattr(self, f"enc{k}")(F.max_pool2d(cur, 2, 2))
        outs = []
        for j in range(self.depth):
            stage = getattr(self, f"dec{j}")
            cur = stage(cur, skips.pop())
            if stage.side is not None:
                if hierarchy:
                    side = F.interpolate(stage.side(cur), size=full, mode="bilinear", align_corners=False)
                    outs.append(side[:, :, :h, :w].contiguous())
            else:
                outs.append(self.head(cur)[:, :, :h, :w].contiguous())
        return outs if hierarchy else outs[-1]


def normalize(image, how="zscore"):
    """dskd's per-image normalisation (data.Normalization) of [..., H, W]."""
    if how == "zscore":
        x = image.double()
        mean = x.mean(dim=(-2, -1), keepdim=True)
        std = ((x * x).mean(dim=(-2, -1), keepdim=True) - mean * mean).clamp(min=0).sqrt().clamp(min=1e-6)
        return ((x - mean) / std).to(image.dtype)
    if how == "minmax":
        lo = image.amin(dim=(-2, -1), keepdim=True)
        hi = image.amax(dim=(-2, -1), keepdim=True)
        span = hi - lo
        return torch.where(span > 0, (image - lo) / torch.where(span > 0, span, torch.ones_like(span)),
                           torch.zeros_like(image))
    if how == "none":
        return image
    raise ValueError(f"normalisation {how!r}: want zscore, minmax or none")


@torch.no_grad()
def predict(model, image, how="zscore"):
    """Vessel probability [H, W] of one [H, W] image with values in [0, 1]."""
    model.eval()
    x = normalize(image.float(), how)[None, None]
    return torch.sigmoid(model(x))[0, 0]


def config_from_state_dict(sd):
    """The DskdUNet arguments a state dict's names and shapes imply."""
    depth = 0
    while f"enc{depth + 1}.conv1.weight" in sd:
        depth += 1
    w = sd["enc0.conv1.weight"]
    up = sd.get("dec0.up.weight")
    transpose = up is not None and tuple(up.shape[2:]) == (2, 2)
    return dict(depth=depth, base=w.shape[0], in_channels=w.shape[1],
                upsample="transpose" if transpose else "bilinear")


_ST_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """(dict name -> tensor, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = bytearray(raw[8 + n:])
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        t = torch.frombuffer(data[b:end], dtype=_ST_DTYPES[e["dtype"]]) if end > b else torch.empty(0)
        out[name] = t.reshape(e["shape"]).clone()
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Write a dict of tensors as safetensors (little-endian, CPU copies)."""
    names = {v: k for k, v in _ST_DTYPES.items()}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def _pt_metadata(path):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith("/dskd.json") and name.count("/") == 1:
                return json.loads(z.read(name))
    return {}


def load_dskd(path, device="cpu"):
    """(DskdUNet in eval mode, metadata) from a dskd export (.safetensors or
    .pt) or any state dict of this network (config from the shapes then).
    metadata: config, normalize, threshold, version."""
    if str(path).endswith(".safetensors"):
        sd, meta = read_safetensors(path)
    else:
        sd = torch.load(path, map_location="cpu", weights_only=True)
        meta = _pt_metadata(path)
    if "dskd_config" in meta:
        cfg = json.loads(meta["dskd_config"])
    else:
        cfg = config_from_state_dict(sd)
    model = DskdUNet(**cfg)
    model.load_state_dict({k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}, strict=True)
    info = dict(config=cfg, normalize=meta.get("dskd_normalize", "zscore"),
                threshold=float(meta.get("dskd_threshold", 0.5)), version=meta.get("dskd_version", ""))
    return model.to(device).eval(), info
