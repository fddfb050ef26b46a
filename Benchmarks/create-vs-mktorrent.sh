#!/usr/bin/env bash
# Times `nerd create` against `mktorrent -t 2` on the same 1 GiB file, same piece length,
# same run, warm page cache, alternating runs; prints each median and the ratio.
#   Benchmarks/create-vs-mktorrent.sh [SIZE_MIB=1024] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-1024}"
runs="${2:-5}"
command -v mktorrent >/dev/null || { echo "mktorrent missing: apt-get install mktorrent" >&2; exit 1; }
swift build -c release --product nerd >/dev/null
nerd="$(swift build -c release --show-bin-path)/nerd"

work="$(mktemp -d /tmp/nerd-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/content.bin"
cat "$work/content.bin" > /dev/null   # warm the page cache for both tools

time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

nerd_times=(); mk_times=()
for ((i = 0; i < runs; i++)); do
  rm -f "$work/n.torrent" "$work/m.torrent"
  nerd_times+=("$(time_ms "$nerd" create "$work/content.bin" -o "$work/n.torrent" --piece-length 1048576 --threads 2 --quiet)")
  mk_times+=("$(time_ms mktorrent -t 2 -l 20 -o "$work/m.torrent" "$work/content.bin")")
done
n=$(printf '%s\n' "${nerd_times[@]}" | median)
m=$(printf '%s\n' "${mk_times[@]}" | median)
# Both must describe the same pieces.
"$nerd" info --json "$work/n.torrent" | grep -o '"num_pieces": [0-9]*' > "$work/a"
"$nerd" info --json "$work/m.torrent" | grep -o '"num_pieces": [0-9]*' > "$work/b"
cmp -s "$work/a" "$work/b" || { echo "piece counts differ" >&2; exit 1; }
echo "content: ${size_mib} MiB, piece length 1 MiB, ${runs} runs each, $(nproc) cores"
echo "nerd create (2 threads): runs ms ${nerd_times[*]}  median ${n} ms  $(awk "BEGIN {printf \"%.0f\", $size_mib / ($n / 1000)}") MiB/s"
echo "mktorrent -t 2:          runs ms ${mk_times[*]}  median ${m} ms  $(awk "BEGIN {printf \"%.0f\", $size_mib / ($m / 1000)}") MiB/s"
echo "ratio mktorrent/nerd: $(awk "BEGIN {printf \"%.2f\", $m / $n}") (above 1 means NERD is faster)"
