#!/usr/bin/env python3
"""Loopback transfer benchmark: nerd->nerd, libtorrent->nerd, nerd->libtorrent, libtorrent->libtorrent.

A random file (default 1 GiB) on tmpfs (/dev/shm) is moved once per pair and piece size, in the
same run. Prints MB/s (payload / downloader wall time), CPU seconds of each side during the
transfer, and peak private memory (anonymous RSS; libtorrent maps the payload, so plain RSS
would count the page cache) of each side.

    Benchmarks/transfer.py [--size-mib 1024] [--piece-kib 256 1024] [--pairs nerd>nerd lt-tcp>lt-tcp ...]

lt>lt uses the harness's lt_peer.py as is; two libtorrents then talk uTP on loopback.
lt-tcp>lt-tcp switches uTP off (Benchmarks/lt_tcp_peer.py), which is libtorrent's TCP path,
the one to compare NERD with.

Needs a release build (`swift build -c release --product nerd`; the script runs it) and Debian
python3-libtorrent. Everything binds 127.0.0.1.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("NERD_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
LT = [ "/usr/bin/python3", os.path.join(SHARED, "harness", "lt_peer.py") ]
# libtorrent with uTP off: two libtorrents on loopback otherwise talk uTP
LT_TCP = [ "/usr/bin/python3", os.path.join(ROOT, "Benchmarks", "lt_tcp_peer.py") ]


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def cpu_seconds(pid):
    try:
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


class Watch:
    """Samples a process's anonymous RSS every 20 ms and remembers the peak."""
    def __init__(self, pid):
        self.pid, self.peak, self.last_cpu, self.running = pid, 0, 0.0, True
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while self.running:
            try:
                for line in open("/proc/%d/status" % self.pid):
                    if line.startswith("RssAnon:"):
                        self.peak = max(self.peak, int(line.split()[1]))
                c = cpu_seconds(self.pid)
                if c is not None: self.last_cpu = c
            except OSError:
                return
            time.sleep(0.02)

    def stop(self):
        self.running = False
        return self.peak / 1024.0


def wait_ready(proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None: raise RuntimeError("seeder exited early")
            continue
        if '"ready": true' in line: return json.loads(line)
    raise RuntimeError("seeder not ready")


def run_pair(nerd, seeder, leecher, torrent, data, work):
    out = tempfile.mkdtemp(dir=work)
    seed_port, leech_port = free_port(), free_port()
    if seeder == "nerd":
        cmd = [nerd, "seed", torrent, "--data", data, "--listen", "127.0.0.1:%d" % seed_port, "--json",
               "--state-dir", os.path.join(work, "seed-state")]
        if leecher != "nerd": cmd += ["--peer", "127.0.0.1:%d" % leech_port]
    else:
        cmd = (LT_TCP if seeder == "lt-tcp" else LT) + ["seed", "--torrent", torrent, "--data", data,
                                                       "--port", str(seed_port), "--trust-data"]
    seed = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        wait_ready(seed)
        seed_watch = Watch(seed.pid)
        seed_cpu0 = cpu_seconds(seed.pid)
        if leecher == "nerd":
            get = [nerd, "get", torrent, "--out", out, "--peer", "127.0.0.1:%d" % seed_port, "--listen", "127.0.0.1:0",
                   "--state-dir", os.path.join(out, ".state"), "--json"]
        else:
            get = (LT_TCP if leecher == "lt-tcp" else LT) + ["get", "--torrent", torrent, "--out", out, "--port", str(leech_port),
                        "--peer", "127.0.0.1:%d" % seed_port, "--timeout", "600"]
        t0 = time.time()
        leech = subprocess.Popen(get, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        leech_watch = Watch(leech.pid)
        stdout, _ = leech.communicate()
        wall = time.time() - t0
        leech_mem = leech_watch.stop()
        leech_cpu = leech_watch.last_cpu
        seed_cpu = (cpu_seconds(seed.pid) or seed_watch.last_cpu) - seed_cpu0
        seed_mem = seed_watch.stop()
        report = json.loads(stdout.strip().splitlines()[-1])
        ok = report.get("complete", report.get("ok", False))
        seconds = report.get("seconds", wall)
        return dict(ok=bool(ok), seconds=seconds, seed_cpu=seed_cpu, leech_cpu=leech_cpu, seed_mib=seed_mem, leech_mib=leech_mem)
    finally:
        seed.terminate()
        try: seed.wait(10)
        except subprocess.TimeoutExpired: seed.kill()
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--piece-kib", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--pairs", nargs="+", default=["nerd>nerd", "lt>nerd", "nerd>lt", "lt-tcp>lt-tcp", "lt>lt"],
                    help="lt: the harness's libtorrent (uTP between two libtorrents); lt-tcp: libtorrent with uTP off")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "nerd"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    nerd = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                       capture_output=True, text=True).stdout.strip(), "nerd")
    work = tempfile.mkdtemp(prefix="nerd-transfer-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        data = os.path.join(work, "seed")
        os.makedirs(data)
        with open(os.path.join(data, "payload.bin"), "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
        size = args.size_mib << 20
        print("payload %d MiB on %s, %d cores" % (args.size_mib, work, os.cpu_count()))
        print("%-14s %6s %9s %8s %9s %9s %10s %10s" % ("pair", "piece", "MB/s", "seconds", "seed cpu", "leech cpu",
                                                         "seed MiB", "leech MiB"))
        for kib in args.piece_kib:
            torrent = os.path.join(work, "p%d.torrent" % kib)
            subprocess.run([nerd, "create", os.path.join(data, "payload.bin"), "-o", torrent, "--piece-length",
                            str(kib * 1024), "--quiet"], check=True, stdout=subprocess.DEVNULL)
            for pair in args.pairs:
                seeder, leecher = pair.split(">")
                r = run_pair(nerd, seeder, leecher, torrent, data, work)
                mbps = size / 1e6 / r["seconds"] if r["ok"] else 0
                print("%-14s %5dK %9.1f %8.2f %9.2f %9.2f %10.1f %10.1f%s" % (
                    pair, kib, mbps, r["seconds"], r["seed_cpu"], r["leech_cpu"], r["seed_mib"], r["leech_mib"],
                    "" if r["ok"] else "  INCOMPLETE"), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
