#!/usr/bin/env python3
"""Tracker benchmark: `nerd tracker` against opentracker, the same announce load, in one run.

Both trackers listen on 127.0.0.1 for the whole run and each scenario loads one, then the
other, back to back (so drift on a shared machine hits both alike). The load comes from
tracker-load (Benchmarks/TrackerLoad: one thread, raw sockets), on synthetic torrents whose
info-hashes it derives from a seed; opentracker gets them as its whitelist.

    (a) fill: every (torrent, peer) announces once over UDP; tracker RSS growth -> MiB, bytes/peer
    (b) UDP connect + announce pairs for --duration seconds
    (c) UDP announces reusing a connection ID (renewed every 60 s or 1000 announces)
    (d) HTTP, one TCP connection per announce (Connection: close)
    (e) HTTP keep-alive (opentracker closes every connection anyway: measured as it is)

Each timed scenario runs --rounds times, the order of the two trackers swapped every round;
the fill runs once (it is what fills the trackers). Prints per scenario the medians over the
rounds for NERD and opentracker, and NERD/opentracker, for announces/s, latency percentiles and
tracker CPU per announce (user+system of the tracker process: the figure that does not depend
on how the 2 cores are shared with the client), each round's announces/s ratio, then the exact
commands.

    Benchmarks/tracker.py [--torrents 100000] [--peers 10] [--duration 10] [--rounds 3] [--skip-fill]
                          [--no-build] [--nerd-whitelist] [--quiet-wait 60] [--only udp http ...]

Before each load the script waits (up to --quiet-wait s) for other processes to go quiet, and
flags a scenario during which they still used more than a quarter of a core.

Builds `swift build -c release --product nerd` and `--product tracker-load` with
--scratch-path $NERD_BUILD_PATH (default .build) and any extra arguments in $NERD_BUILD_FLAGS.
Needs Debian's opentracker (IPv4, whitelist build) and root: it chroots to its work folder
and drops to nobody. Everything binds 127.0.0.1.
"""
import argparse, json, os, selectors, shlex, shutil, signal, socket, statistics, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENTRACKER = "/usr/bin/opentracker"
PROTOCOL_ID = 0x41727101980
SCENARIOS = [  # (key, title, tracker-load arguments; {udp}/{http} become the tracker's ports)
    ("fill", "udp fill (every peer once)", ["udp", "--target", "127.0.0.1:{udp}", "--fill"]),
    ("udp", "udp connect+announce pairs", ["udp", "--target", "127.0.0.1:{udp}"]),
    ("udp-reuse", "udp reused connection ID", ["udp", "--target", "127.0.0.1:{udp}", "--reuse-connection-id"]),
    ("http", "http connection per announce", ["http", "--target", "127.0.0.1:{http}"]),
    ("http-keep", "http keep-alive", ["http", "--target", "127.0.0.1:{http}", "--keep-alive"]),
]


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_ports():
    """A port free for TCP and one free for UDP."""
    return free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)


def proc_status_kib(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU seconds all cores spent not idle (for spotting other load on the machine)."""
    values = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet_machine(max_wait, threshold=0.25):
    """Waits (at most `max_wait` s) until the machine is nearly idle, so another build or test
    run does not steal the cores a scenario is measured on. Returns the busy cores seen last."""
    start = time.time()
    first = None
    while True:
        before = machine_busy_seconds()
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        first = busy if first is None else first
        if busy <= threshold or time.time() - start >= max_wait:
            if first > threshold:
                print("  (waited %.0f s for other processes: %.2f cores busy, then %.2f)" % (
                    time.time() - start, first, busy), flush=True)
            return busy
        time.sleep(2)


def build(build_path, flags):
    for product in ("nerd", "tracker-load"):
        cmd = ["swift", "build", "-c", "release", "--scratch-path", build_path, "--product", product] + flags
        print("$ " + shlex.join(cmd), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


class Tracker:
    """One tracker process, its ports, and its RSS right after start (before any load)."""

    def __init__(self, name, cmd, http, udp, log, env=None, cwd=None, read_stdout=False):
        self.name, self.cmd, self.http, self.udp, self.log = name, cmd, http, udp, log
        # Output to a file: a pipe nobody reads would stall the tracker once it fills. Only nerd's
        # stdout is piped, for its one ready line.
        with open(log, "w") as out:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if read_stdout else out, stderr=out, text=True,
                                         env=env, cwd=cwd)
        self.base_rss_kib = None

    def log_tail(self):
        try:
            return open(self.log, errors="replace").read().strip()[-500:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # nerd shuts down on SIGINT; opentracker exits on it too
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def rss_kib(self):
        return proc_status_kib(self.proc.pid, "VmRSS")


def wait_json_ready(tracker, timeout=30):
    """Reads nerd's stdout up to its {"ready": true ...} line."""
    selector = selectors.DefaultSelector()
    selector.register(tracker.proc.stdout, selectors.EVENT_READ)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if tracker.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (tracker.name, tracker.log_tail()))
        if selector.select(timeout=0.2):
            line = tracker.proc.stdout.readline()
            if '"ready": true' in line:
                return json.loads(line)
    raise RuntimeError("%s did not print its ready line within %d s" % (tracker.name, timeout))


def udp_answers(port, info_hash, timeout=20):
    """Whether a BEP 15 connect and a `stopped` announce for `info_hash` (stores no peer) get
    proper replies: for opentracker that also means the whitelist is loaded."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            try:
                s.sendto(struct.pack(">QII", PROTOCOL_ID, 0, 1), ("127.0.0.1", port))
                reply = s.recv(2048)
                if len(reply) < 16 or struct.unpack(">II", reply[:8]) != (0, 1):
                    continue
                cid = struct.unpack(">Q", reply[8:16])[0]
                announce = struct.pack(">QII20s20sQQQIIIiH", cid, 1, 2, info_hash, b"-TL0001-probe-000000", 0, 0, 0,
                                       3, 0, 0, 0, 9)
                s.sendto(announce, ("127.0.0.1", port))
                reply = s.recv(2048)
                if len(reply) >= 20 and struct.unpack(">II", reply[:8]) == (1, 2):
                    return True
            except (socket.timeout, ConnectionRefusedError):
                pass
            time.sleep(0.1)
        return False
    finally:
        s.close()


def tcp_answers(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def start_nerd(nerd, work, allow):
    http, udp = free_ports()
    cmd = [nerd, "tracker", "--http", "127.0.0.1:%d" % http, "--udp", "127.0.0.1:%d" % udp, "--json"]
    if allow: cmd += ["--allow", allow]
    env = dict(os.environ, NERD_LOOPBACK_ONLY="1", NERD_LOG="warning")
    tracker = Tracker("nerd", cmd, http, udp, os.path.join(work, "nerd.log"), env=env, read_stdout=True)
    wait_json_ready(tracker)
    return tracker


def start_opentracker(workdir):
    # Debian's build serves only whitelisted info-hashes and reads -w relative to its -d chroot.
    http, udp = free_ports()
    cmd = [OPENTRACKER, "-i", "127.0.0.1", "-p", str(http), "-P", str(udp), "-d", workdir, "-w", "whitelist.txt",
           "-u", "nobody"]
    return Tracker("opentracker", cmd, http, udp, os.path.join(workdir, "opentracker.log"), cwd=workdir)


def run_load(load, tracker, args, scenario_args):
    """Runs one tracker-load scenario against `tracker`; returns its JSON plus CPU figures."""
    argv = [a.format(udp=tracker.udp, http=tracker.http) for a in scenario_args]
    cmd = [load] + argv + ["--torrents", str(args.torrents), "--peers", str(args.peers), "--seed", str(args.seed),
                          "--window", str(args.window), "--json"]
    if "--fill" not in argv: cmd += ["--duration", str(args.duration)]
    wait_for_quiet_machine(args.quiet_wait)
    print("$ " + shlex.join(cmd), flush=True)
    tracker_cpu0, busy0, children0 = cpu_seconds(tracker.proc.pid), machine_busy_seconds(), os.times()
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 3600)
    wall = time.time() - t0
    if out.returncode != 0 or tracker.proc.poll() is not None:
        raise RuntimeError("load on %s failed (exit %d): %s" % (tracker.name, out.returncode, out.stderr.strip()))
    lines = out.stdout.strip().splitlines()
    print("  " + lines[0], flush=True)
    result = json.loads(lines[-1])
    children1 = os.times()
    result["tracker_cpu"] = cpu_seconds(tracker.proc.pid) - tracker_cpu0
    result["client_cpu"] = (children1.children_user - children0.children_user) + (
        children1.children_system - children0.children_system)
    # Busy CPU on the machine that was neither this tracker nor the client (another build, a test run).
    result["other_cpu_per_s"] = max(0.0, machine_busy_seconds() - busy0 - result["tracker_cpu"] - result["client_cpu"]) / wall
    result["command"] = cmd
    return result


def measure_fill(load, tracker, args):
    result = run_load(load, tracker, args, SCENARIOS[0][2])
    time.sleep(0.5)  # let the last replies' buffers settle before reading RSS
    grown = tracker.rss_kib() - tracker.base_rss_kib
    result["rss_base_mib"] = tracker.base_rss_kib / 1024.0
    result["rss_growth_mib"] = grown / 1024.0
    result["bytes_per_peer"] = grown * 1024.0 / max(1, result["requests"])
    return result


# --- report -----------------------------------------------------------------------------------

def rows_for(key, rounds):
    """(metric, nerd value, opentracker value, format) rows of one scenario: medians over its rounds.
    `rounds` is a list of {tracker name: result}."""
    def med(name, value_of):
        values = [value_of(r[name]) for r in rounds]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def field(name, field, scale=1.0):
        return med(name, lambda r: None if r.get(field) is None else r[field] * scale)

    def per_announce_us(r):
        return r["tracker_cpu"] * 1e6 / r["requests"] if r["requests"] else None

    def both(value_of, label, fmt):
        return (label, med("nerd", value_of), med("opentracker", value_of), fmt)

    def total(name, field):
        return sum(r[name][field] for r in rounds)

    rows = [("announces/s", field("nerd", "announces_per_second"), field("opentracker", "announces_per_second"), "%.0f")]
    for p in ("p50", "p90", "p99"):
        rows.append(both(lambda r, p=p: r["latency_ms"][p], "latency %s ms" % p, "%.3f"))
    rows.append(both(per_announce_us, "tracker CPU us/announce", "%.1f"))
    rows.append(("client CPU s", field("nerd", "client_cpu"), field("opentracker", "client_cpu"), "%.2f"))
    if key == "fill":
        rows.append(("RSS at start MiB", field("nerd", "rss_base_mib"), field("opentracker", "rss_base_mib"), "%.1f"))
        rows.append(("RSS growth MiB", field("nerd", "rss_growth_mib"), field("opentracker", "rss_growth_mib"), "%.1f"))
        rows.append(("bytes/peer", field("nerd", "bytes_per_peer"), field("opentracker", "bytes_per_peer"), "%.1f"))
    # Counts, not rates: shown as text (totals over the rounds) so they get no ratio.
    rows.append(("timeouts/errors", "%d/%d" % (total("nerd", "timeouts"), total("nerd", "errors")),
                 "%d/%d" % (total("opentracker", "timeouts"), total("opentracker", "errors")), "%s"))
    if key == "http-keep":
        rows.append(("server closes", str(total("nerd", "server_closes")), str(total("opentracker", "server_closes")), "%s"))
    return rows


def round_ratios(rounds):
    """Each round's NERD/opentracker announces/s, in the order run."""
    return ["%.2f" % (r["nerd"]["announces_per_second"] / r["opentracker"]["announces_per_second"])
            if r["opentracker"]["announces_per_second"] else "-" for r in rounds]


def print_report(args, titles, all_results, trackers):
    print()
    print("tracker benchmark: %d torrents x %d peers, %g s per timed scenario, %d rounds (medians shown), window %d, "
          "%d cores, 127.0.0.1" % (args.torrents, args.peers, args.duration, args.rounds, args.window, os.cpu_count()))
    print("%-30s %-24s %12s %12s %9s" % ("scenario", "metric", "NERD", "opentracker", "NERD/ot"))
    for key, rounds in all_results:
        title = titles[key]
        for metric, a, b, fmt in rows_for(key, rounds):
            ratio = "%.2f" % (a / b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "-"
            cell = lambda v: "-" if v is None else fmt % v
            print("%-30s %-24s %12s %12s %9s" % (title, metric, cell(a), cell(b), ratio))
            title = ""
        if len(rounds) > 1:
            print("%-30s %-24s %s" % ("", "announces/s ratio by round", " ".join(round_ratios(rounds))))
        busy = max(r[name]["other_cpu_per_s"] for r in rounds for name in r)
        if busy > 0.25:
            print("%-30s (other processes used up to %.2f cores meanwhile: figures may be low)" % ("", busy))
    print()
    print("Figures are medians over the rounds; ratios are NERD / opentracker of those medians: above 1")
    print("means NERD has more (better for announces/s, worse for latency, CPU and memory). Latency: UDP")
    print("from the announce's send to its reply; HTTP per connection from the TCP connect to the last")
    print("reply byte, keep-alive from the request's send. The trackers take turns going first.")
    print("Each load waits for the machine to go quiet first; a scenario during which other processes")
    print("still used over 0.25 cores is flagged under it.")
    print("opentracker's whitelist (%d info-hashes, about %.1f MiB) is loaded before its start RSS is read, so" % (
        args.torrents, args.torrents * 20 / 1048576.0))
    print("it counts toward opentracker's memory but not toward its growth; nerd runs %s." % (
        "with the same list (--allow)" if args.nerd_whitelist else "without an allow-list"))
    print()
    print("commands:")
    for tracker in trackers:
        print("  %s: %s" % (tracker.name, shlex.join(tracker.cmd)))
    for key, rounds in all_results:
        for name in ("nerd", "opentracker"):
            print("  %-9s %-11s %s" % (key, name, shlex.join(rounds[0][name]["command"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=100_000)
    ap.add_argument("--peers", type=int, default=10)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per timed scenario")
    ap.add_argument("--window", type=int, default=64, help="requests/connections in flight")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of each timed scenario, trackers alternating who goes first (medians reported)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-fill", action="store_true")
    ap.add_argument("--only", nargs="+", choices=[key for key, _, _ in SCENARIOS],
                    help="run just these scenarios (default: all)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--nerd-whitelist", action="store_true", help="give nerd the same allow-list (--allow)")
    ap.add_argument("--quiet-wait", type=float, default=60.0,
                    help="most seconds to wait before each load for other processes to go quiet")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if os.geteuid() != 0:
        sys.exit("tracker.py: run as root (opentracker chroots to its work folder and drops to nobody)")
    if not os.access(OPENTRACKER, os.X_OK):
        sys.exit("tracker.py: %s not found (apt-get install opentracker)" % OPENTRACKER)
    build_path = os.environ.get("NERD_BUILD_PATH", os.path.join(ROOT, ".build"))
    if not args.no_build:
        build(build_path, shlex.split(os.environ.get("NERD_BUILD_FLAGS", "")))
    nerd, load = (os.path.join(build_path, "release", p) for p in ("nerd", "tracker-load"))

    # SIGTERM (and Ctrl-C) unwind through `finally`, which stops both trackers and removes the work folder.
    def interrupted(*_):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, interrupted)
    work = tempfile.mkdtemp(prefix="nerd-tracker-bench-")
    trackers = []
    try:
        os.chmod(work, 0o755)  # opentracker reads its whitelist after dropping to nobody
        whitelist = os.path.join(work, "whitelist.txt")
        with open(whitelist, "w") as f:
            subprocess.run([load, "hashes", "--torrents", str(args.torrents), "--seed", str(args.seed)], stdout=f,
                           check=True)
        os.chmod(whitelist, 0o644)
        first_hash = bytes.fromhex(open(whitelist).readline().strip())

        trackers.append(start_nerd(nerd, work, whitelist if args.nerd_whitelist else None))
        trackers.append(start_opentracker(work))
        for tracker in trackers:
            if not (udp_answers(tracker.udp, first_hash) and tcp_answers(tracker.http)):
                raise RuntimeError("%s does not answer on 127.0.0.1:%d (http) / %d (udp): %s" % (
                    tracker.name, tracker.http, tracker.udp, tracker.log_tail()))
            tracker.base_rss_kib = tracker.rss_kib()
        print("nerd pid %d (RSS %.1f MiB), opentracker pid %d (RSS %.1f MiB, whitelist loaded); load average %s" % (
            trackers[0].proc.pid, trackers[0].base_rss_kib / 1024.0, trackers[1].proc.pid,
            trackers[1].base_rss_kib / 1024.0, " ".join(open("/proc/loadavg").read().split()[:3])), flush=True)

        titles = {key: title for key, title, _ in SCENARIOS}
        all_results = []
        for key, title, scenario_args in SCENARIOS:
            if key == "fill" and args.skip_fill: continue
            if args.only and key not in args.only: continue
            print("-- " + title, flush=True)
            rounds = []
            # The fill is what fills the trackers, so it runs once.
            for number in range(1 if key == "fill" else args.rounds):
                results = {}
                for tracker in (trackers if number % 2 == 0 else trackers[::-1]):
                    results[tracker.name] = measure_fill(load, tracker, args) if key == "fill" else run_load(
                        load, tracker, args, scenario_args)
                rounds.append(results)
            all_results.append((key, rounds))
        print_report(args, titles, all_results, trackers)
    except KeyboardInterrupt:
        print("tracker.py: interrupted", file=sys.stderr)
        return 130
    finally:
        for tracker in trackers:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
