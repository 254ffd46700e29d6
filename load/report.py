"""Markdown tables from the runs of load/run.sh (`predict`), load/retrain.sh (`retrain`), load/learning-loop.sh
(`learning-loop`) and load/scale.sh (`scale`), written to their sections
of docs/BENCHMARKS.md (between <!-- begin:NAME --> and <!-- end:NAME -->; replaced if present, else appended)."""
import argparse
import csv
import datetime
import json
import os
import re
import subprocess


def ms(v):
    try:
        return f"{float(v):.0f}"
    except (TypeError, ValueError):
        return "n/a"


def mb(kb):
    return f"{int(kb) / 1024:.0f} MB" if kb and int(kb) > 0 else "n/a"


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    try:
        dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        dotnet = "?"
    load = open("/proc/loadavg").read().split()[0]
    return f"{os.cpu_count()} cores ({cpu}), {mem / 1048576:.0f} GB, .NET {dotnet}; load average {load} at the end"


def locust_stats(work, prefix, name="Aggregated"):
    with open(os.path.join(work, prefix + "_stats.csv"), newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    return rows.get(name)


def locust_row(work, label, users, prefix, name="Aggregated"):
    r = locust_stats(work, prefix, name)
    if r is None:
        return f"| {label} | Locust | {users} | no requests | | | | | |"
    n, fails = int(r["Request Count"]), int(r["Failure Count"])
    return (f"| {label} | Locust | {users} | {float(r['Requests/s']):.1f} | {ms(r['50%'])} | {ms(r['95%'])} | "
            f"{ms(r['99%'])} | {ms(r['Max Response Time'])} | {fails} / {n} |")


def hey_stats(path):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    slowest = re.search(r"Slowest:\s+([\d.]+) secs", text)
    pct = {k: float(v) * 1000 for k, v in re.findall(r"(\d+)%+ in ([\d.]+) secs", text)}
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text)}
    errors = re.findall(r"\[(\d+)\]\s+(Post .*)", text)
    total = sum(codes.values()) + sum(int(n) for n, _ in errors)
    return text, (float(rps.group(1)) if rps else None), slowest, pct, total, total - codes.get(200, 0)


def write_section(docs, name, section, no_docs):
    begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
    section = f"{begin}\n{section.strip()}\n{end}"
    print(section)
    if no_docs or not docs:
        return
    doc = open(docs).read() if os.path.exists(docs) else "# Benchmarks\n"
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + section + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    with open(docs, "w") as f:
        f.write(doc)
    print(f"\nwrote the {name} section of {docs}")


def floor_rates(path):
    """Images/s the whole machine could classify if it did nothing but decode + preprocess + forward, per image kind."""
    floor = json.load(open(path))
    # The served configuration (Pneumonia:Prediction defaults: int8 through ONNX Runtime; all-bf16 for a card without
    # activation ranges).
    served = [f for f in floor["Forward"] if f["Precision"] == "int8"] or [f for f in floor["Forward"] if f["Precision"] == "bf16"] or floor["Forward"]
    best = max(served, key=lambda f: f["ImagesPerSecond"])
    cores = floor["Cores"]
    rates = {}
    for d in floor["Decode"]:
        # Core-seconds per image: the best forward pass keeps `Threads` cores busy; decoding takes one core.
        core_seconds = best["Threads"] / best["ImagesPerSecond"] + d["MedianMilliseconds"] / 1000
        rates[d["Width"]] = (cores / core_seconds, d)
    return best, rates, floor


def predict(a):
    work = a.work
    rows = [locust_row(work, "224 JPEG", u, f"small-u{u}") for u in a.users.split()]
    text, rps, slowest, pct, total, bad = hey_stats(a.hey)
    if rps is None:
        rows.append(f"| 224 JPEG | hey | {a.hey_c} | hey failed: {text.strip()[:80]} | | | | | |")
    else:
        rows.append(f"| 224 JPEG | hey `-c {a.hey_c} -z {a.hey_z}` | {a.hey_c} | {rps:.1f} | {ms(pct.get('50'))} | "
                    f"{ms(pct.get('95'))} | {ms(pct.get('99'))} | {ms(float(slowest.group(1)) * 1000 if slowest else None)} | "
                    f"{bad} / {total} |")
    extra = [("full-size JPEG (2000 x 2000)", 1, "large-u1"), ("full-size JPEG (2000 x 2000)", 32, "large-u32"),
             ("`/predict/batch`, 8 JPEGs", 4, "batch-u4"),
             ("original service's Locust file (think time 0.5-2 s)", 10, "original-u10"),
             ("**baseline: model loaded per request**, 224 JPEG", 1, "baseline-u1"),
             ("**baseline: model loaded per request**, 224 JPEG", 32, "baseline-u32")]
    for label, u, prefix in extra:
        if os.path.exists(os.path.join(work, prefix + "_stats.csv")):
            rows.append(locust_row(work, label, u, prefix))

    notes = [f"Server resident memory (whole system: API + co-hosted silo + model) after these runs: peak (VmHWM) "
             f"**{mb(a.vmhwm_kb)}**, current (VmRSS) {mb(a.vmrss_kb)}"
             + (f"; the baseline server's peak {mb(a.baseline_vmhwm_kb)}." if int(a.baseline_vmhwm_kb or 0) else ".")]
    if a.floor and os.path.exists(a.floor):
        best, rates, floor = floor_rates(a.floor)
        notes.append(f"Floor (`pneumonia bench-inference`, section inference-floor): best forward rate "
                     f"{best['ImagesPerSecond']:.0f} images/s ({best['Precision']}, batch {best['Batch']}, {best['Threads']} threads); "
                     "with decode + preprocess, the whole machine could classify at most:")
        for width, (rate, d) in sorted(rates.items()):
            notes.append(f"  - {d['Image']}: **{rate:.0f} images/s** (decode + preprocess {d['MedianMilliseconds']:.1f} ms)")
        small_floor = rates[min(rates)][0]
        large_floor = rates[max(rates)][0]
        fractions = []
        for label, prefix, fl in [("224 JPEG, Locust 32 users", "small-u32", small_floor),
                                  ("224 JPEG, Locust 64 users", "small-u64", small_floor),
                                  ("full-size, Locust 32 users", "large-u32", large_floor)]:
            if os.path.exists(os.path.join(work, prefix + "_stats.csv")):
                r = locust_stats(work, prefix)
                fractions.append(f"{label} {float(r['Requests/s']) / fl:.0%}")
        if rps is not None:
            fractions.append(f"224 JPEG, hey {rps / small_floor:.0%}")
        notes.append("Server throughput as a fraction of that floor: " + "; ".join(fractions) +
                     " (Locust itself takes about one of the two cores).")
    if os.path.exists(os.path.join(work, "baseline-u1_stats.csv")):
        fast1, base1 = locust_stats(work, "small-u1"), locust_stats(work, "baseline-u1")
        fast32, base32 = locust_stats(work, "small-u32"), locust_stats(work, "baseline-u32")
        parts = []
        if fast1 and base1:
            parts.append(f"1 user p50 {ms(base1['50%'])} ms vs {ms(fast1['50%'])} ms "
                         f"(**{float(base1['50%']) / max(float(fast1['50%']), 1):.1f}x** faster)")
        if fast32 and base32:
            parts.append(f"32 users {float(base32['Requests/s']):.1f} vs {float(fast32['Requests/s']):.1f} requests/s "
                         f"(**{float(fast32['Requests/s']) / max(float(base32['Requests/s']), 0.01):.1f}x**), "
                         f"p99 {ms(base32['99%'])} vs {ms(fast32['99%'])} ms")
        notes.append("Against the original design (`--Pneumonia:Prediction:LoadModelPerRequest=true`: the model loaded "
                     "from disk on every request, classified on the request's thread), same run: " + "; ".join(parts) + ".")

    section = f"""
## Load: POST /predict

Command: `load/run.sh` ({datetime.date.today().isoformat()}). Machine: {machine()}. The API in Release, co-hosted silo,
bundled model, default serving settings (one inference thread batching concurrent requests, 2 engine threads, the
feature stages in int8 through ONNX Runtime with the card's activation ranges), a fresh temporary data directory, warmed by 5 requests and {a.warmup} of `hey` at 8
connections (the JIT's background recompilation settles). Locust users have no think time (each sends its next request
when the answer arrives; `load/locustfile.py`) except the original file's, ramped at once, {a.duration} a run for the
224 JPEG ({a.image}, 224 x 224), {a.extra_duration} for the others; the full-size X-ray is that image upscaled to
2000 x 2000 (225 KB). Load generator on the same 2 cores: Locust takes about a core by itself, so its rows measure
the server with roughly one core left; `hey` is lighter and gives the peak. Times in ms; failures = non-200 / total.

| scenario | tool | users | requests/s | p50 | p95 | p99 | max | failures |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n\n" + "\n".join(f"- {n}" if not n.startswith("  ") else n for n in notes) + "\n"
    write_section(a.docs, "load-predict", section, a.no_docs)


def retrain(a):
    job = json.load(open(a.job))
    created = datetime.datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    finished = datetime.datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00"))
    total = (finished - created).total_seconds()
    running = json.load(open(a.running)) if a.running and os.path.exists(a.running) else job
    images = running["batches_per_epoch"] * running["batch_size"]
    epochs = "\n".join(f"| {e['epoch']} | {e['seconds']:.1f} | {images / e['seconds'] if images else 0:.0f} | {e['training_loss']:.4f} | "
                       f"{e['validation_auc']:.4f} |" for e in job["history"])
    rows = [locust_row(a.work, "/predict (random test JPEG)", a.mixed_users, "mixed", "/predict [mixed]"),
            locust_row(a.work, "/predict/batch, 8 JPEGs", a.mixed_users, "mixed", "/predict/batch [mixed]"),
            locust_row(a.work, "GET /retrain-progress", a.mixed_users, "mixed", "/retrain-progress"),
            locust_row(a.work, "all requests", a.mixed_users, "mixed")]
    section = f"""
## Retrain through the API, with predictions during it

Command: `load/retrain.sh` ({datetime.date.today().isoformat()}). Machine: {machine()}. The API in Release on a fresh
data directory that imports the base data set at start-up; then `POST /retrain?epochs={job['epochs']}&batch_size={job['batch_size']}&fine_tune={str(job['fine_tune']).lower()}`,
and while it runs Locust `MixedUser` ({a.mixed_users} users, 0.1-0.5 s think time: predictions, batches, progress polls,
health) for the first {a.mixed_duration}; then `/retrain-progress` is polled until the job ends.

- End to end through the API (job created -> finished, `{job['status']}`, promoted: {job.get('promoted')}): **{int(total // 60)} min {total % 60:.0f} s**
  ({total:.0f} s){'; ' + job['promotion_reason'] if job.get('promotion_reason') else ''}.
- Peak resident memory of the whole system (API + silo + serving model + training) during the run: **{mb(a.vmhwm_kb)}**.

| epoch | seconds | images/s (~{images} training images) | training loss | validation ROC-AUC |
| ---: | ---: | ---: | ---: | ---: |
{epochs}

Requests while the retrain ran (Locust, times in ms, failures = non-2xx / total):

| requests | tool | users | requests/s | p50 | p95 | p99 | max | failures |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    write_section(a.docs, "load-retrain", section, a.no_docs)


def learning_loop(a):
    """One row per scenario of load/learning-loop.sh: what the API answered, the gate, production's test metrics."""
    rows, met_all, improvement = [], True, ""
    for line in open(a.results):
        r = json.loads(line)
        if r["scenario"] == "improving":
            # The one scenario where the retrain should get through: a gate that refuses everything is no gate.
            improvement = ("\n\nThe retrain that should pass (`improving`: production a head-only 1-epoch model) was "
                           + ("**promoted**" if r["job"].get("promoted") else "**not promoted**") + ".")
        b, af, job = r["before_metrics"], r["after_metrics"], r["job"]
        gate = job.get("gate") or {}
        figures = {f["name"]: f for f in gate.get("figures", [])}
        gate_text = gate.get("verdict", "no evaluation")
        if figures:
            # Every figure, clean and perturbed; a failed one is marked.
            gate_text += " (" + ", ".join(
                f"{n} {f['difference']:+.4f}{'' if f['passed'] else ' ✗'}" for n, f in figures.items()) + ")"
        drop = {k: b[k] - af[k] for k in ("auc", "sensitivity", "specificity")}
        met = drop["auc"] <= 0.005 and drop["sensitivity"] <= 0.02 and drop["specificity"] <= 0.02
        met_all &= met
        promoted = "promoted" if job.get("promoted") else "not promoted"
        rows.append(f"| {r['scenario']} | {r['answer']} | {job.get('status', '?')}, {promoted} | {gate_text} | "
                    f"{b['auc']:.4f} / {b['accuracy']:.3f} / {b['sensitivity']:.3f} / {b['specificity']:.3f} | "
                    f"{af['auc']:.4f} / {af['accuracy']:.3f} / {af['sensitivity']:.3f} / {af['specificity']:.3f} | "
                    f"{-drop['auc']:+.4f} / {-drop['sensitivity']:+.3f} / {-drop['specificity']:+.3f} | {'yes' if met else '**no**'} |")
    section = f"""
## Learning loop: can an ordinary retrain make production worse?

Command: `load/learning-loop.sh` ({datetime.date.today().isoformat()}). Machine: {machine()}. Each scenario runs the API
in Release on a fresh data directory (the full Kermany set as the base data set unless said otherwise), acts as a user
would through the REST API, and evaluates production before and after on the official test split with
`pneumonia evaluate` (618 distinct images; evaluated only, never used to choose). Target: production's test ROC-AUC
never drops by more than 0.005, sensitivity and specificity never by more than 0.02. Met in every scenario: **{'yes' if met_all else 'no'}**.{improvement}

| scenario | what the API answered | job | the gate (candidate - production on the gate set) | production before: test AUC / acc / sens / spec | after | change AUC / sens / spec | target met |
| --- | --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    write_section(a.docs, "learning-loop", section, a.no_docs)


def compare(a):
    """One row per image and connection count of load/compare-pytorch.sh, one column per server."""
    systems = a.systems.split()
    names = {"ours": "this system"}
    for s in systems[1:]:
        _, mode, shape = s.split("-", 2)
        workers, threads = shape.split("x")
        names[s] = (f"PyTorch {'plain (fp32 eager)' if mode == 'plain' else 'tuned (TorchScript, bf16)'}, "
                    f"{workers} worker{'s' if workers != '1' else ''} x {threads} thread{'s' if threads != '1' else ''}")
    labels = {"small": f"224 JPEG ({a.image})", "large": "2000 px JPEG", "png16": "2500 x 2000 16-bit PNG"}
    memory = dict(m.split("=") for m in a.memory.split())
    rows = []
    for image in a.images.split():
        for c in a.connections.split():
            cells, rates = [], {}
            for s in systems:
                path = os.path.join(a.work, f"{s}-{image}-c{c}.txt")
                if not os.path.exists(path):
                    cells.append("not run")
                    continue
                text, rps, _, pct, total, bad = hey_stats(path)
                seconds = re.search(r"Total:\s+([\d.]+) secs", text)
                if rps is None or seconds is None:
                    cells.append(f"hey failed: {text.strip()[:60]}")
                    continue
                # Answered requests only: hey's own rate counts timeouts and errors too.
                rps = (total - bad) / float(seconds.group(1))
                rates[s] = rps
                cell = f"{rps:.1f} req/s, p50 {ms(pct.get('50'))} ms, p99 {ms(pct.get('99'))} ms"
                cells.append(cell + (f", **{bad} / {total} failed**" if bad else ""))
            others = [r for s, r in rates.items() if s != "ours"]
            ratio = f"{rates['ours'] / max(others):.2f}" if "ours" in rates and others else "n/a"
            rows.append(f"| {labels.get(image, image)}, {c} connection{'s' if c != '1' else ''} | " + " | ".join(cells) + f" | {ratio} |")
    rows.append("| peak resident memory (sum over a server's processes) | " + " | ".join(mb(memory.get(s, 0)) for s in systems) + " | |")
    section = f"""
## Against a PyTorch service on the same network

Command: `load/compare-pytorch.sh` ({datetime.date.today().isoformat()}). Machine: {machine()}. Each server alone on the
machine, in turn, warmed by {a.warmup} of `hey` at 8 connections, then `hey -z {a.duration}` per row (POST /predict, one
image per request). This system: the API in Release with its co-hosted silo, bundled model, default serving settings.
PyTorch: `load/pytorch_service.py`, FastAPI + uvicorn + PyTorch 1.13 from Debian's packages, the bundled model's
network rebuilt in Python with its weights read from `weights.bin`, the card's calibration and threshold; Pillow
decodes (the tuned service with DCT-scaled JPEG decoding, `Image.draft`). The 2000 px JPEG and the 16-bit PNG are the
224 image enlarged (bicubic). Requests/s count 200 answers only; latencies are hey's. Ratio: this system's
requests/s over the best PyTorch column.

| scenario | {' | '.join(names[s] for s in systems)} | ours / best |
| --- | {' | '.join('---' for _ in systems)} | --- |
""" + "\n".join(rows) + "\n"
    write_section(a.docs, "compare-pytorch", section, a.no_docs)



def scale(a):
    """One row per data set size of load/scale.sh, and how each figure grew from the first size to the last."""
    def read(name):
        path = os.path.join(a.work, name)
        return open(path).read().strip() if os.path.exists(path) else ""

    def when(text):
        return datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", text).replace("Z", "+00:00"))

    rows, figures = [], []
    for step in [int(s) for s in a.steps.split()]:
        times = [line.split() for line in read(f"import-{step}.txt").splitlines() if line.strip()]
        seconds = sum(float(t) for _, t in times)
        answers = [json.load(open(os.path.join(a.work, f"import-{step}-{name}.json"))) for name, _ in times]
        files = sum(r["accepted"] + r["duplicates"] + len(r["rejected"]) for r in answers)
        duplicates = sum(r["duplicates"] for r in answers)
        rejected = sum(len(r["rejected"]) for r in answers)
        stats = json.load(open(os.path.join(a.work, f"stats-{step}.json")))
        _, _, _, pct, total, failed = hey_stats(os.path.join(a.work, f"stats-hey-{step}.txt"))
        rss, hwm = (read(f"memory-{step}.txt") or "0 0").split()
        _, trained_hwm = (read(f"memory-trained-{step}.txt") or "0 0").split()
        epoch = load = images = decoded = None
        if read(f"job-{step}.json"):
            job = json.load(open(os.path.join(a.work, f"job-{step}.json")))
            epoch = sum(e["seconds"] for e in job["history"]) / max(1, len(job["history"]))
            images = int(read(f"train-images-{step}.txt") or 0) or None
            decoded = int(read(f"decoded-{step}.txt") or 0) or None
            if read(f"loaded-{step}.txt") and job.get("started_at"):
                load = (when(read(f"loaded-{step}.txt")) - when(job["started_at"])).total_seconds()
        training = stats["training"]
        figures.append((step, files / seconds if seconds else None, pct.get("50"), int(hwm), epoch))
        rows.append(
            f"| {stats['total_images']:,} | {files / seconds if seconds else 0:.0f} ({duplicates} dup., {rejected} rej.) | "
            f"{' / '.join(f'{pct[k]:.1f}' if k in pct else 'n/a' for k in ('50', '95', '99'))} ({failed} / {total} failed) | "
            f"{len(json.dumps(stats)) / 1024:.0f} | {mb(rss)} | {mb(hwm)} | "
            f"{training['normal'] + training['pneumonia']:,} | {'n/a' if load is None else f'{load:.0f}'} ({decoded or 'n/a'} images) | "
            f"{'n/a' if epoch is None else f'{epoch:.0f}'} | {'n/a' if not (epoch and images) else f'{images / epoch:.0f}'} | {mb(trained_hwm)} |")

    first, last = figures[0], figures[-1]

    def growth(i):
        if first[i] is None or last[i] is None or not first[i]:
            return "n/a"
        return f"x{last[i] / first[i]:.2f}"

    retrain_step = (f"`POST /retrain?epochs={a.epochs}&batch_size=32&fine_tune=true&promote=false`" if int(a.epochs) > 0
                    else "no retrain (`SCALE_EPOCHS=0`)")
    section = f"""
## The data at scale: import, statistics, memory and epochs from {first[0]:,} to {last[0]:,} images

Command: `SCALE_STEPS="{a.steps}" SCALE_EPOCHS={a.epochs} load/scale.sh` ({datetime.date.today().isoformat()}). Machine: {machine()}. The API in Release (co-hosted
silo, file grain storage) on a fresh data directory without the base data set; the images are variants of the
Kermany images made by `load/scale_data.py` (a 4 x 4 patch a few grey levels brighter: new content hashes, same
labels and splits, a new patient per variant round) and imported with `POST /admin/import` in batches of {a.chunk}
(label screen included). After each size: `GET /dataset/stats` {a.stats_requests} times on one connection (`hey`),
the process's memory, then {retrain_step}.

| images | import of this step, images/s | `/dataset/stats` p50 / p95 / p99 ms | stats answer KB | RSS after import | peak so far (VmHWM), before this retrain | trainable images | retrain loading s (decoded images) | seconds per epoch | training images/s in the epoch | peak after the retrain |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
""" + "\n".join(rows) + f"""

From {first[0]:,} to {last[0]:,} images (x{last[0] / first[0]:.1f}): import rate {growth(1)}, `/dataset/stats` p50 {growth(2)},
peak memory before the retrain {growth(3)}, seconds per epoch {growth(4)}. The loading time is approximate (the phase is
polled every 2 s); the peak before a retrain includes the previous size's retrain (VmHWM only grows).
"""
    write_section(a.docs, "data-scale", section, a.no_docs)


p = argparse.ArgumentParser()
p.add_argument("kind", choices=["predict", "retrain", "learning-loop", "compare", "scale"])
for name in ("work", "users", "duration", "extra-duration", "hey", "hey-c", "hey-z", "vmhwm-kb", "vmrss-kb",
             "baseline-vmhwm-kb", "floor", "image", "warmup", "docs", "job", "running", "mixed-users", "mixed-duration", "results",
             "systems", "images", "connections", "memory", "steps", "chunk", "epochs", "stats-requests"):
    p.add_argument("--" + name, default="")
p.add_argument("--no-docs", action="store_true")
args = p.parse_args()
{"predict": predict, "retrain": retrain, "learning-loop": learning_loop, "compare": compare, "scale": scale}[args.kind](args)
