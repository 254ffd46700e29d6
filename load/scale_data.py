"""Synthetic scale data for load/scale.sh: COUNT variants of the Kermany images, in the Kaggle layout (split/LABEL/file),
in folders of CHUNK images (chunk-0000, chunk-0001, ...), each imported by one POST /admin/import.

Variant i is made from source image order[i % S] (the S source images in a fixed shuffled order, seed 42), in round
r = i // S + 1: the decoded image gets a small deterministic change (a 4 x 4 patch a few grey levels brighter, at a
position drawn from i) and is re-encoded as JPEG (quality 92), so it has a new content hash but the same picture,
label and split. Its patient becomes a new synthetic patient of round r (person1946 -> person<r>01946, IM-0115 ->
IM-<r>00115, NORMAL2-IM-1427 -> NORMAL2-IM-<r>01427): a patient's images stay together, and rounds never share
patients. Content hashes are checked to be distinct; a collision moves the patch and tries again.

    python3 load/scale_data.py SOURCE_DIR OUT_DIR COUNT [--chunk 2000]
Prints one JSON line: {"images": N, "chunks": K, "seconds": T}.
"""
import argparse
import hashlib
import io
import json
import os
import random
import re
import time

from PIL import Image

LABELS = ("NORMAL", "PNEUMONIA")
SPLITS = ("train", "val", "test")
PERSON = re.compile(r"^person(\d+)_(bacteria|virus)_(\d+(?:_\d+)?)$", re.IGNORECASE)
IM = re.compile(r"^((?:NORMAL\d+-)?IM-)(\d+)((?:-\d+)+)$", re.IGNORECASE)


def sources(root):
    found = []
    for split in SPLITS:
        for label in LABELS:
            folder = os.path.join(root, split, label)
            if os.path.isdir(folder):
                found += [(split, label, os.path.join(folder, f)) for f in sorted(os.listdir(folder)) if f.lower().endswith((".jpeg", ".jpg", ".png"))]
    if not found:
        raise SystemExit(f"no images under {root}/{{train,val,test}}/{{NORMAL,PNEUMONIA}}")
    random.Random(42).shuffle(found)
    return found


def variant_name(name, rnd):
    stem, _ = os.path.splitext(name)
    m = PERSON.match(stem)
    if m:
        return f"person{rnd}{int(m.group(1)):05d}_{m.group(2)}_{m.group(3)}.jpeg"
    m = IM.match(stem)
    if m:
        return f"{m.group(1)}{rnd}{int(m.group(2)):05d}{m.group(3)}.jpeg"
    return f"r{rnd}-{stem}.jpeg"


def variant_bytes(path, i, attempt):
    image = Image.open(path)
    image.load()
    image = image.convert("L") if image.mode not in ("L", "RGB") else image
    w, h = image.size
    rng = random.Random(i * 1_000_003 + attempt)
    x, y = rng.randrange(0, max(1, w - 4)), rng.randrange(0, max(1, h - 4))
    delta = 6 + attempt
    patch = image.crop((x, y, x + 4, y + 4)).point(lambda v: min(255, v + delta))
    image.paste(patch, (x, y))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("count", type=int)
    p.add_argument("--chunk", type=int, default=2000)
    a = p.parse_args()
    start = time.monotonic()
    order = sources(a.source)
    seen = set()
    for i in range(a.count):
        split, label, path = order[i % len(order)]
        rnd = i // len(order) + 1
        for attempt in range(16):
            data = variant_bytes(path, i, attempt)
            digest = hashlib.sha256(data).digest()
            if digest not in seen:
                break
        else:
            raise SystemExit(f"no distinct variant of {path} after 16 attempts")
        seen.add(digest)
        folder = os.path.join(a.out, f"chunk-{i // a.chunk:04d}", split, label)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, variant_name(os.path.basename(path), rnd)), "wb") as f:
            f.write(data)
    print(json.dumps({"images": a.count, "chunks": -(-a.count // a.chunk), "seconds": round(time.monotonic() - start, 1)}))


if __name__ == "__main__":
    main()
