"""Locust scenarios for the PneumoniaOrleans API.

Options (each also read from an environment variable; command-line wins):
  --images-dir   / PNEUMONIA_LOAD_IMAGES   chest_xray root or any folder of JPEGs
                                           (default: shared/data/chest_xray beside the repository or its parent)
  --image        / PNEUMONIA_LOAD_IMAGE    the 224x224 JPEG for /predict (default: test/PNEUMONIA/person1_virus_6.jpeg
                                           under --images-dir, else the first JPEG found there)
  --large-side   / PNEUMONIA_LOAD_LARGE_SIDE  long side of the full-size X-ray made at start-up (default 2000)
  --batch-size   / PNEUMONIA_LOAD_BATCH    images per /predict/batch request (default 8)
  --host         / LOCUST_HOST             the API (default http://localhost:5080)

Pick a scenario by naming its class on the command line, e.g.
  locust -f load/locustfile.py --headless -u 8 -r 8 -t 20s PredictSmallUser
"""
import functools
import glob
import io
import os
import random
import shutil
import subprocess
import tempfile

from locust import between, constant, events, task
# FastHttpUser (geventhttpclient, a dependency of Debian's python3-locust) costs the load generator several times
# less CPU per request than HttpUser (requests): on 2 cores, every cycle Locust spends is one the server does not get.
from locust.contrib.fasthttp import FastHttpUser

HERE = os.path.dirname(os.path.abspath(__file__))
# shared/data/chest_xray beside the repository, or beside its parent (git worktrees under wt/).
_CANDIDATES = [os.path.normpath(os.path.join(HERE, *[".."] * up, "shared", "data", "chest_xray")) for up in (2, 3)]
DEFAULT_IMAGES = next((d for d in _CANDIDATES if os.path.isdir(d)), _CANDIDATES[0])
DEFAULT_IMAGE = os.path.join("test", "PNEUMONIA", "person1_virus_6.jpeg")

if not os.environ.get("LOCUST_HOST"):
    os.environ["LOCUST_HOST"] = "http://localhost:5080"


@events.init_command_line_parser.add_listener
def _options(parser):
    parser.add_argument("--images-dir", env_var="PNEUMONIA_LOAD_IMAGES", default=DEFAULT_IMAGES,
                        help="chest_xray root or a folder of JPEGs")
    parser.add_argument("--image", env_var="PNEUMONIA_LOAD_IMAGE", default="",
                        help="224x224 JPEG posted to /predict")
    parser.add_argument("--large-side", env_var="PNEUMONIA_LOAD_LARGE_SIDE", type=int, default=2000,
                        help="long side in pixels of the upscaled full-size X-ray")
    parser.add_argument("--batch-size", env_var="PNEUMONIA_LOAD_BATCH", type=int, default=8,
                        help="images per /predict/batch request")


class Samples:
    small = None        # (name, bytes) of the 224 JPEG
    large = None        # (name, bytes) of the full-size JPEG
    pool = []           # [(name, bytes)] for batches


def _read(path):
    with open(path, "rb") as f:
        return os.path.basename(path), f.read()


def _upscale(path, side):
    """JPEG bytes of `path` upscaled so its long side is `side` px: Pillow if present, else ImageMagick."""
    try:
        from PIL import Image
        with Image.open(path) as im:
            im = im.convert("L")
            scale = side / max(im.size)
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BICUBIC)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=90)
            return buf.getvalue()
    except ImportError:
        pass
    # Debian's ImageMagick is /usr/bin/convert; prefer it over any stand-in earlier on PATH.
    convert = "/usr/bin/convert" if os.access("/usr/bin/convert", os.X_OK) else shutil.which("convert")
    if not convert:
        raise RuntimeError("need python3-pil or imagemagick to make the full-size X-ray")
    with tempfile.NamedTemporaryFile(suffix=".jpeg") as out:
        subprocess.run([convert, path, "-colorspace", "Gray", "-resize", f"{side}x{side}", "-quality", "90", out.name],
                       check=True)
        return out.read()


@events.init.add_listener
def _load_samples(environment, **_):
    opts = environment.parsed_options
    root = opts.images_dir if opts else DEFAULT_IMAGES
    image = opts.image if opts and opts.image else ""
    if not image:
        candidate = os.path.join(root, DEFAULT_IMAGE)
        image = candidate if os.path.isfile(candidate) else ""
    files = sorted(glob.glob(os.path.join(root, "test", "*", "*.jpeg"))) or \
        sorted(glob.glob(os.path.join(root, "**", "*.jp*g"), recursive=True))
    if not image:
        if not files:
            raise RuntimeError(f"no JPEG under {root}; set --images-dir / PNEUMONIA_LOAD_IMAGES")
        image = files[0]
    Samples.small = _read(image)
    side = opts.large_side if opts else 2000
    Samples.large = (f"large-{side}.jpeg", _upscale(image, side))
    rng = random.Random(42)
    picked = rng.sample(files, min(len(files), 64)) if files else [image]
    Samples.pool = [_read(p) for p in picked]
    Samples.batch_size = opts.batch_size if opts else 8


def _check(response):
    if response.status_code != 200:
        response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


BOUNDARY = "pneumonia-locust-7f3a9c"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _multipart(field, samples):
    """A multipart/form-data body with one JPEG part per sample, all under `field` (FastHttpUser has no files=)."""
    parts = []
    for name, data in samples:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                     'Content-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post(client, path, body, label):
    with client.post(path, data=body, headers={"Content-Type": CONTENT_TYPE}, name=label, catch_response=True) as r:
        _check(r)


@functools.lru_cache(maxsize=128)
def _single_body(sample):
    return _multipart("file", [sample])


def _predict_one(client, sample, label):
    _post(client, "/predict", _single_body(sample), f"/predict [{label}]")


def _predict_batch(client, label):
    chosen = random.sample(Samples.pool, min(Samples.batch_size, len(Samples.pool)))
    _post(client, "/predict/batch", _multipart("files", chosen), f"/predict/batch [{label}]")


class PredictSmallUser(FastHttpUser):
    """POST the 224x224 test JPEG to /predict, no think time (throughput/latency under N concurrent clients)."""
    wait_time = constant(0)

    @task
    def predict(self):
        _predict_one(self.client, Samples.small, "224")


class PredictLargeUser(FastHttpUser):
    """POST a full-size X-ray (the test JPEG upscaled to --large-side px, made once at start-up) to /predict."""
    wait_time = constant(0)

    @task
    def predict_large(self):
        _predict_one(self.client, Samples.large, "large")


class PredictBatchUser(FastHttpUser):
    """POST --batch-size (8) distinct test JPEGs to /predict/batch in field `files`."""
    wait_time = constant(0)

    @task
    def predict_batch(self):
        _predict_batch(self.client, str(Samples.batch_size))


class MixedUser(FastHttpUser):
    """A client-like mix: mostly single predictions, some batches, polling /retrain-progress and /health."""
    wait_time = between(0.1, 0.5)

    @task(6)
    def predict(self):
        _predict_one(self.client, random.choice(Samples.pool), "mixed")

    @task(1)
    def batch(self):
        _predict_batch(self.client, "mixed")

    @task(3)
    def retrain_progress(self):
        # 200 with status "idle" when no retrain has run yet.
        self.client.get("/retrain-progress", name="/retrain-progress")

    @task(1)
    def health(self):
        self.client.get("/health")
