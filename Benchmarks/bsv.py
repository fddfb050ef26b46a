#!/usr/bin/env python3
"""BSV signing benchmark: NERD's two secp256k1 backends against coincurve, in one run.

Builds `bsv-bench` (Benchmarks/BSVBench) in release mode with the Secp256k1 trait, runs it,
then measures coincurve (PyPI, libsecp256k1) signing and verifying the same kind of 32-byte
digests on one thread, and prints each figure with NERD/coincurve ratios. Repeats --runs
times and reports medians.

    Benchmarks/bsv.py [--seconds 2] [--runs 3] [--python .build/bsv-venv/bin/python] [--no-build]

Needs the venv `scripts/test` creates (bsv-sdk, coincurve); nothing leaves the machine.
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COINCURVE = r"""
import coincurve, hashlib, json, sys, time
seconds = float(sys.argv[1])
key = coincurve.PrivateKey(hashlib.sha256(b"bench key").digest())
pub = key.public_key
digests = [hashlib.sha256(bytes([i])).digest() for i in range(256)]
def measure(body):
    for _ in range(50): body(0)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(100): body(i)
        count += 100
    return count / (time.perf_counter() - start)
sigs = [key.sign(d, hasher=None) for d in digests]
sign = measure(lambda i: key.sign(digests[i & 255], hasher=None))
verify = measure(lambda i: pub.verify(sigs[i & 255], digests[i & 255], hasher=None))
print(json.dumps({"sign_per_s": int(sign), "verify_per_s": int(verify)}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default=os.path.join(ROOT, ".build/bsv-venv/bin/python"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    scratch = os.environ.get("NERD_BUILD_PATH", os.path.join(ROOT, ".build"))
    build = ["swift", "build", "-c", "release", "--product", "bsv-bench", "--traits", "Secp256k1", "--scratch-path", scratch]
    if not args.no_build:
        subprocess.run(build, cwd=ROOT, check=True)
    bench = os.path.join(scratch, "release", "bsv-bench")
    nerd = {}
    cc = {"sign_per_s": [], "verify_per_s": []}
    sighash = []
    for _ in range(args.runs):
        out = subprocess.run(["taskset", "-c", "0", bench, str(args.seconds)], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            row = json.loads(line)
            if "backend" in row:
                for k in ("sign_per_s", "verify_per_s"):
                    nerd.setdefault(row["backend"], {"sign_per_s": [], "verify_per_s": []})[k].append(row[k])
            else:
                sighash.append(row["sighash_100_inputs_per_s"])
        out = subprocess.run(["taskset", "-c", "0", args.python, "-c", COINCURVE, str(args.seconds)],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(out)
        for k in cc:
            cc[k].append(row[k])
    med = {k: statistics.median(v) for k, v in cc.items()}
    print(f"one thread (taskset -c 0), {args.runs} runs x {args.seconds} s, medians")
    print(f"{'':16}{'sign/s':>10}{'verify/s':>10}{'sign/coincurve':>16}{'verify/coincurve':>18}")
    print(f"{'coincurve':16}{med['sign_per_s']:>10.0f}{med['verify_per_s']:>10.0f}")
    for backend, figures in nerd.items():
        s, v = statistics.median(figures["sign_per_s"]), statistics.median(figures["verify_per_s"])
        print(f"{'nerd ' + backend:16}{s:>10.0f}{v:>10.0f}{s / med['sign_per_s']:>16.2f}{v / med['verify_per_s']:>18.2f}")
    print(f"FORKID sighash digests/s (100-input tx, shared intermediate hashes): {statistics.median(sighash):.0f}")
    print("commands:", " ".join(build), "&&", "taskset -c 0", bench, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
