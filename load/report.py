"""Turn the CSVs of load/run.sh into a markdown table and write the load-predict section of docs/BENCHMARKS.md."""
import argparse
import csv
import datetime
import os
import re

BEGIN, END = "<!-- begin:load-predict -->", "<!-- end:load-predict -->"

p = argparse.ArgumentParser()
for name in ("work", "users", "duration", "extra-duration", "hey", "hey-c", "hey-z", "nproc", "cpu", "mem",
             "vmhwm", "vmrss", "image", "dotnet", "docs"):
    p.add_argument("--" + name, default="")
p.add_argument("--no-docs", action="store_true")
a = p.parse_args()


def ms(v):
    try:
        return f"{float(v):.0f}"
    except (TypeError, ValueError):
        return "n/a"


def locust_row(label, users, prefix):
    with open(os.path.join(a.work, prefix + "_stats.csv"), newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    r = rows.get("Aggregated")
    n, fails = int(r["Request Count"]), int(r["Failure Count"])
    return (f"| {label} | Locust | {users} | {float(r['Requests/s']):.1f} | {ms(r['50%'])} | {ms(r['95%'])} | "
            f"{ms(r['99%'])} | {ms(r['Max Response Time'])} | {fails} / {n} |")


def hey_row():
    text = open(a.hey).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    slowest = re.search(r"Slowest:\s+([\d.]+) secs", text)
    pct = {k: float(v) * 1000 for k, v in re.findall(r"(\d+)%+ in ([\d.]+) secs", text)}
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text)}
    errors = re.findall(r"\[(\d+)\]\s+(Post .*)", text)
    total = sum(codes.values()) + sum(int(n) for n, _ in errors)
    bad = total - codes.get(200, 0)
    if not rps:
        return f"| 224 JPEG | hey | {a.hey_c} | hey failed: {text.strip()[:80]} | | | | | |"
    return (f"| 224 JPEG | hey `-c {a.hey_c} -z {a.hey_z}` | {a.hey_c} | {float(rps.group(1)):.1f} | {ms(pct.get('50'))} | "
            f"{ms(pct.get('95'))} | {ms(pct.get('99'))} | {ms(float(slowest.group(1)) * 1000 if slowest else None)} | "
            f"{bad} / {total} |")


rows = [locust_row("224 JPEG", u, f"small-u{u}") for u in a.users.split()]
rows.append(hey_row())
extra = [("full-size JPEG (2000 px long side)", 4, "large-u4"), ("`/predict/batch`, 8 JPEGs", 4, "batch-u4"),
         ("mixed (predict, batch, /retrain-progress, /health)", 16, "mixed-u16")]
for label, u, prefix in extra:
    if os.path.exists(os.path.join(a.work, prefix + "_stats.csv")):
        rows.append(locust_row(label, u, prefix))

today = datetime.date.today().isoformat()
section = f"""{BEGIN}
## Load: POST /predict

Command: `load/run.sh` ({today}). Machine: {a.nproc} cores ({a.cpu}), {a.mem}, .NET {a.dotnet}; the API in
Release, co-hosted silo, bundled model, fresh temporary data directory (no base data set imported), warmed by 5
requests. Load generator on the same machine: Locust takes about a core by itself, so the Locust rows measure the
server with roughly one core left; `hey` is lighter and gives the peak. Locust users have no think time (each sends
its next request as soon as the answer arrives; `load/locustfile.py`), ramped at once, {a.duration} a run for the
224 JPEG ({a.image}, 224 x 224), {a.extra_duration} for the other scenarios. Times in ms; failures = non-200 / total.

| scenario | tool | users | requests/s | p50 | p95 | p99 | max | failures |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + f"""

Server resident memory at the end of the runs: peak (VmHWM) **{a.vmhwm}**, current (VmRSS) {a.vmrss}.
{END}"""

print(section)
if not a.no_docs and a.docs:
    doc = open(a.docs).read() if os.path.exists(a.docs) else "# Benchmarks\n"
    if BEGIN in doc and END in doc:
        start, end = doc.index(BEGIN), doc.index(END) + len(END)
        doc = doc[:start] + section + doc[end:]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    with open(a.docs, "w") as f:
        f.write(doc)
    print(f"\nwrote the load-predict section of {a.docs}")
