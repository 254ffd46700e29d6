"""The service users would write instead (issue 17): FastAPI + PyTorch 1.13 from Debian's packages, serving the bundled
model's own network and weights, for load/compare-pytorch.sh.

The network is rebuilt here as the C# code defines it (grains/Pneumonia.Ml/Architectures: ImageNet ResNet-18 through
layer3 with CNTK's asymmetric padding, input = grey bytes 0-255 expanded to 3 channels minus the channel means,
average pool, one logit) and its weights are read straight from models/bundled/weights.bin, TorchSharp's
`Module.save` format: a LEB128 count, then per tensor a LEB128-prefixed UTF-8 name, LEB128 dtype (TorchSharp's
ScalarType), LEB128 rank, LEB128 dims, and the raw little-endian data. The card (model.json) gives the input size,
the Platt calibration and the threshold, so the answers are the served model's.

Modes (PNEUMONIA_PT_MODE):
  plain  fp32 eager, Pillow decode and resize at full size: what a first version looks like.
  tuned  TorchScript trace + freeze, channels-last, bf16 autocast, JPEGs decoded at a DCT scale (Pillow's draft)
         and resized with reducing_gap 2: what a good engineer ships.
Threads: PNEUMONIA_PT_THREADS torch intra-op threads (default 2). Inference runs inline in the async handler, one
request at a time per worker (no oversubscription of the cores); run uvicorn with --workers N for more processes.

  /usr/bin/python3 -m uvicorn --app-dir load pytorch_service:app --port 8000 --workers 1
"""
import io
import json
import math
import os
import warnings

import torch
import torch.nn.functional as F
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image

MODEL_DIR = os.environ.get("PNEUMONIA_PT_MODEL", os.path.join(os.path.dirname(__file__), "..", "models", "bundled"))
MODE = os.environ.get("PNEUMONIA_PT_MODE", "tuned")
THREADS = int(os.environ.get("PNEUMONIA_PT_THREADS", "2"))

# TorchSharp's ScalarType values (the same numbering as c10::ScalarType).
DTYPES = {0: torch.uint8, 1: torch.int8, 2: torch.int16, 3: torch.int32, 4: torch.int64, 5: torch.float16,
          6: torch.float32, 7: torch.float64, 11: torch.bool, 15: torch.bfloat16}


def read_torchsharp(path):
    """{name: tensor} from a file written by TorchSharp's Module.save."""
    data = open(path, "rb").read()
    pos = 0

    def leb():
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    state = {}
    for _ in range(leb()):
        length = leb()
        name = data[pos:pos + length].decode("utf-8")
        pos += length
        dtype = DTYPES[leb()]
        shape = [leb() for _ in range(leb())]
        size = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
        state[name] = torch.frombuffer(bytearray(data[pos:pos + size]), dtype=dtype).reshape(shape).clone()
        pos += size
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} bytes after the last tensor")
    return state


def same_windows(size, before, after, kernel, stride):
    """Padding both sides by `before` reads the same windows as before/after padding (PaddedConv2d's rule)."""
    return before == after or (size + before + after - kernel) // stride == (size + 2 * before - kernel) // stride


class PaddedConv(torch.nn.Module):
    """A bias-free convolution with CNTK-style (top, left, bottom, right) padding, as PaddedConv2d."""

    def __init__(self, cin, cout, kernel, stride, pads):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.kernel, self.stride, self.pads = kernel, stride, pads

    def forward(self, x):
        top, left, bottom, right = self.pads
        if same_windows(x.shape[2], top, bottom, self.kernel, self.stride) and same_windows(x.shape[3], left, right, self.kernel, self.stride):
            return F.conv2d(x, self.weight, None, self.stride, (top, left))
        return F.conv2d(F.pad(x, (left, right, top, bottom)), self.weight, None, self.stride)


class ConvBn(torch.nn.Module):
    def __init__(self, cin, cout, kernel, stride, pads):
        super().__init__()
        self.conv = PaddedConv(cin, cout, kernel, stride, pads)
        self.bn = torch.nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class Stem(ConvBn):
    def __init__(self):
        super().__init__(3, 64, 7, 2, (3, 3, 2, 2))

    def forward(self, x):
        x = F.relu(super().forward(x))
        if same_windows(x.shape[2], 1, 0, 3, 2) and same_windows(x.shape[3], 1, 0, 3, 2):
            return F.max_pool2d(x, 3, 2, 1)
        return F.max_pool2d(F.pad(x, (1, 0, 1, 0), value=float("-inf")), 3, 2)


class Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = PaddedConv(cin, cout, 3, stride, (1, 1, 1, 1) if stride == 1 else (1, 1, 0, 0))
        self.bn1 = torch.nn.BatchNorm2d(cout)
        self.conv2 = PaddedConv(cout, cout, 3, 1, (1, 1, 1, 1))
        self.bn2 = torch.nn.BatchNorm2d(cout)
        self.downsample = ConvBn(cin, cout, 1, stride, (0, 0, 0, 0)) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Backbone(torch.nn.Module):
    def __init__(self, stages):
        super().__init__()
        self.stem = Stem()
        cin = 64
        for s, (channels, blocks) in enumerate(zip([64, 128, 256, 512][:stages], [2, 2, 2, 3])):
            layer = []
            for b in range(blocks):
                layer.append(Block(cin, channels, 2 if b == 0 and s > 0 else 1))
                cin = channels
            setattr(self, f"layer{s + 1}", torch.nn.ModuleList(layer))
        self.stages, self.channels = stages, cin

    def forward(self, x):
        x = self.stem(x)
        for s in range(self.stages):
            for block in getattr(self, f"layer{s + 1}"):
                x = block(x)
        return x


class PneumoniaNetwork(torch.nn.Module):
    """Grey bytes as floats [N, 1, S, S] -> one logit per image, as PneumoniaNetwork.forward in eval mode."""

    def __init__(self, stages):
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(1, 3, 1, 1))
        self.backbone = Backbone(stages)
        self.head = torch.nn.Linear(self.backbone.channels, 1)

    def forward(self, grey):
        x = self.backbone(grey.expand(-1, 3, -1, -1) - self.input_mean)
        return self.head(x.mean((2, 3))).squeeze(1)


def load(model_dir, mode):
    card = json.load(open(os.path.join(model_dir, "model.json")))
    network = PneumoniaNetwork(card["architecture"]["backboneStages"])
    state = read_torchsharp(os.path.join(model_dir, "weights.bin"))
    # TorchSharp also saved the stem under its C# field name (backbone._stem.*): the same tensors a second time.
    for name in [n for n in state if "._stem." in n]:
        twin = name.replace("._stem.", ".stem.")
        if twin not in state or not torch.equal(state.pop(name), state[twin]):
            raise ValueError(f"{name} differs from {twin}")
    network.load_state_dict(state, strict=True)
    network.eval()
    size = card["preprocessing"]["inputSize"]
    if mode == "tuned":
        network = network.to(memory_format=torch.channels_last)
        example = torch.zeros(1, 1, size, size).contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), torch.cpu.amp.autocast(dtype=torch.bfloat16):
            with warnings.catch_warnings():
                # The padding rule reads the traced shapes: the graph is for SIZE x SIZE inputs, which is all it serves.
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                network = torch.jit.freeze(torch.jit.trace(network, example, check_trace=False))
            for _ in range(3):
                network(example)  # the profiling executor specialises on the first calls
    return card, network, size


torch.set_num_threads(THREADS)
CARD, NETWORK, SIZE = load(MODEL_DIR, MODE)
app = FastAPI(title="PyTorch comparison service")


def model_pixels(data):
    """Decoded, grey, squashed to SIZE x SIZE with a bilinear (triangle) filter, as the C# preprocessing does."""
    image = Image.open(io.BytesIO(data))
    if MODE == "tuned" and image.format == "JPEG":
        image.draft("L", (SIZE * 2, SIZE * 2))  # libjpeg DCT scaling, keeping at least twice the input size
    if image.mode in ("I;16", "I;16B", "I"):
        # 16-bit grey: resize in 32-bit integers, then scale 0-65535 to 0-255.
        image = image.convert("I").resize((SIZE, SIZE), Image.BILINEAR, reducing_gap=2.0 if MODE == "tuned" else None)
        image = image.point(lambda v: v * (1 / 257)).convert("L")
    else:
        image = image.convert("L").resize((SIZE, SIZE), Image.BILINEAR, reducing_gap=2.0 if MODE == "tuned" else None)
    return torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).reshape(1, 1, SIZE, SIZE)


def logit(pixels):
    x = pixels.float()
    with torch.no_grad():
        if MODE == "tuned":
            with torch.cpu.amp.autocast(dtype=torch.bfloat16):
                return float(NETWORK(x.contiguous(memory_format=torch.channels_last)).float()[0])
        return float(NETWORK(x)[0])


@app.get("/health")
async def health():
    return {"status": "ok", "mode": MODE, "threads": torch.get_num_threads(), "model_version": CARD["version"]}


@app.post("/predict")
async def predict(file: UploadFile = File(...)):
    data = await file.read()
    try:
        pixels = model_pixels(data)
    except Exception as error:  # Pillow raises many types for bad files
        raise HTTPException(status_code=422, detail=f"not a readable image: {error}")
    calibration = CARD["calibration"]
    probability = 1 / (1 + math.exp(-(calibration["slope"] * logit(pixels) + calibration["intercept"])))
    label = "PNEUMONIA" if probability >= CARD["threshold"] else "NORMAL"
    return {"label": label, "probability": probability, "threshold": CARD["threshold"], "model_version": CARD["version"]}
