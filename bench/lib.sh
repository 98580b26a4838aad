# Helpers the benchmark scripts share; sourced, not run.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
# A work directory and the processes this script started, named by the
# variables that hold their PIDs (empty once stopped), all gone at exit.
# Usage: bench_work NAME PID_VAR...
bench_work() {
    WORK=$(mktemp -d -p "${BENCH_DIR:-/var/tmp}" "sp-bench-$1.XXXXXX")
    shift
    BENCH_PID_VARS="$*"
    trap bench_cleanup EXIT
}
bench_cleanup() {
    local v
    for v in $BENCH_PID_VARS; do
        if [ -n "${!v:-}" ]; then kill "${!v}" 2>/dev/null || true; fi
    done
    rm -rf "$WORK"
}
mibps() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
