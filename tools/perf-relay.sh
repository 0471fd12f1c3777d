#!/bin/sh
# perf-relay.sh - where the relay spends its CPU: meetopiad under
# perf record while meetopia-bench relays media through it, then the top
# symbols by self time, kernel and user, once per relay-threads value.
#
#   tools/perf-relay.sh [-b BUILDDIR] [-d SECONDS] [-n ALLOCATIONS]
#                       [-P PROFILE] [-t "1 2"] [-k TOP] [-o DIR]
#
# Defaults: the build tree ".", 10 s of 1080p30 media over 100 allocations
# (the 1080p30 x100 phase of tools/compare-coturn.py), relay-threads 1
# and 2, the top 15 symbols.  For each value: a meetopiad on 127.0.0.1
# (free ports from the kernel, a temporary state dir and REST secret),
# meetopia-bench against it, "perf record -g" on the daemon's process
# (all its threads) for the media phase only, then a table of the top
# symbols by self % (perf report --no-children --sort dso,sym), the
# share of kernel and user time, and relay CPU seconds per million
# relayed packets (utime+stime from /proc).  -o keeps the perf.data files
# (perf-threads-N.data) in DIR.
#
# Loopback only; every process it starts is stopped on exit.  Needs perf
# (and kernel.perf_event_paranoid <= 1, or root).  Build without
# --enable-sanitizers for figures worth quoting, on a quiet machine: the
# load average is printed with each run.  Not part of make check.
set -eu

builddir=.
seconds=10
allocs=100
profile=1080p30
threads="1 2"
top=15
outdir=

usage() {
	sed -n '6,7p' "$0" | sed 's/^# *//' >&2
	exit 2
}

while getopts b:d:n:P:t:k:o:h opt; do
	case $opt in
	b) builddir=$OPTARG ;;
	d) seconds=$OPTARG ;;
	n) allocs=$OPTARG ;;
	P) profile=$OPTARG ;;
	t) threads=$OPTARG ;;
	k) top=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done

die() {
	echo "perf-relay: $*" >&2
	exit 1
}

for v in "$seconds" "$allocs" "$top" $threads; do
	case $v in
	''|*[!0-9]*) die "not a number: '$v'" ;;
	esac
done
[ "$seconds" -ge 1 ] && [ "$seconds" -le 120 ] || die "-d: 1 to 120"
[ "$allocs" -ge 2 ] && [ $((allocs % 2)) -eq 0 ] || die "-n: an even number"
daemon=$builddir/meetopiad
bench=$builddir/meetopia-bench
[ -x "$daemon" ] || die "$daemon: not found (-b BUILDDIR)"
[ -x "$bench" ] || die "$bench: not found (-b BUILDDIR)"
command -v perf >/dev/null || die "perf: not installed"
command -v python3 >/dev/null || die "python3: not installed"
if grep -q __asan_init "$daemon" 2>/dev/null; then
	echo "perf-relay: warning: $daemon is built with sanitizers" >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perf-relay.XXXXXX")
dpid=
ppid_=
cleanup() {
	[ -n "$ppid_" ] && kill -INT "$ppid_" 2>/dev/null || :
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid" 2>/dev/null || :
		sleep 1
		kill -TERM "$dpid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A port free for UDP and TCP on 127.0.0.1, from the kernel.
free_port() {
	python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

# utime + stime of a process, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
hz=$(getconf CLK_TCK)
echo "machine: $(nproc) CPUs, $(uname -sr); bench: -n $allocs -P $profile" \
    "-d $seconds"

for n in $threads; do
	port=$(free_port)
	conf=$tmp/meetopia-$n.conf
	cat >"$conf" <<EOF
listen = 127.0.0.1
turn-port = $port
http-port = $(free_port)
tls-port = 0
https-port = 0
realm = perf.test
auth-secret = $secret
allowed-peer-ip = 127.0.0.1
min-port = 12000
max-port = 32767
user-quota = 0
ip-quota = 0
relay-threads = $n
EOF
	chmod 600 "$conf"
	log=$tmp/daemon-$n.log
	: >"$log"
	"$daemon" -c "$conf" --state-dir "$tmp/state-$n" \
	    $( [ "$(id -u)" = 0 ] && echo --allow-root ) 2>"$log" &
	dpid=$!
	i=0
	until grep -q ready "$log"; do
		kill -0 "$dpid" 2>/dev/null || { cat "$log" >&2; die "meetopiad exited"; }
		i=$((i + 1))
		[ $i -lt 150 ] || die "meetopiad: not ready within 15 s"
		sleep 0.1
	done
	# Allocations, permissions and channels first, then media under perf.
	"$bench" -p "$port" --secret "$secret" -n "$allocs" -P "$profile" \
	    --hold 1 -d "$seconds" --json --no-progress \
	    >"$tmp/bench-$n.json" 2>"$tmp/bench-$n.err" &
	bpid=$!
	i=0
	until grep -q holding "$tmp/bench-$n.err" 2>/dev/null; do
		kill -0 "$bpid" 2>/dev/null || break
		i=$((i + 1))
		[ $i -lt 600 ] || die "meetopia-bench: no allocations within 60 s"
		sleep 0.1
	done
	# perf starts within the --hold: the media that follows is recorded
	# (the idle second adds no samples).
	data=$tmp/perf-threads-$n.data
	c0=$(cpu_ticks "$dpid")
	perf record -q -g -o "$data" -p "$dpid" >/dev/null 2>&1 &
	ppid_=$!
	brc=0
	wait "$bpid" || brc=$?
	kill -INT "$ppid_" 2>/dev/null || :
	wait "$ppid_" || :
	ppid_=
	c1=$(cpu_ticks "$dpid")
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	kill -TERM "$dpid" 2>/dev/null || :
	sleep 1
	kill -TERM "$dpid" 2>/dev/null || :
	wait "$dpid" 2>/dev/null || :
	dpid=
	relayed=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["packets"]["relayed"], j["loss"]["percent"])' "$tmp/bench-$n.json" \
	    2>/dev/null) ||
	    die "meetopia-bench gave no result: $(tail -3 "$tmp/bench-$n.err")"
	[ "$brc" -eq 0 ] || echo "perf-relay: meetopia-bench exited $brc:" \
	    "$(tail -1 "$tmp/bench-$n.err")" >&2
	echo
	echo "== relay-threads $n: $(grep -o 'one event loop[^,]*\|[0-9]* worker threads*' "$log" | head -1)"
	echo "load average $load; relayed ${relayed% *} packets, loss ${relayed#* }%;" \
	    "relay CPU $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v r="${relayed% *}" \
	    'BEGIN { printf "%.2f s, %.2f s per Mpkt", (b - a) / hz,
	    (r > 0 ? (b - a) / hz / (r / 1e6) : 0) }')"
	perf report -i "$data" --no-children --sort dso,sym -g none --stdio \
	    2>/dev/null >"$tmp/report-$n.txt" || die "perf report failed"
	awk '/^ *[0-9.]+%/ { s = $1; sub(/%/, "", s);
	    if ($3 == "[k]") k += s; else u += s }
	    END { printf "kernel %.1f%%, user %.1f%% of the samples\n", k, u }' \
	    "$tmp/report-$n.txt"
	printf '%8s  %-28s %s\n' "self" "object" "symbol"
	awk -v top="$top" '/^ *[0-9.]+%/ && n < top { n++;
	    obj = $2; sym = $4; for (i = 5; i <= NF; i++) sym = sym " " $i;
	    printf "%8s  %-28s %s %s\n", $1, obj, $3, sym }' "$tmp/report-$n.txt"
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		cp "$data" "$outdir/"
	fi
done
