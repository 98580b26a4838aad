#!/usr/bin/env bash
# sysbench oltp_point_select and oltp_read_only at 4 and 16 threads against
# a throwaway MariaDB: straight to it, through stageproxy (proxy mode), and
# through a plain socat relay with TCP_NODELAY, alternating in each round.
# Reports median queries/s and p95 latency of RUNS rounds, and the ratios.
# Usage: bench/proxy/run.sh [RUNS] [SECONDS]    # defaults 3 and 10
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
RUNS=${1:-3}
SECS=${2:-10}
command -v sysbench >/dev/null && command -v socat >/dev/null && command -v mariadbd >/dev/null ||
    scripts/setup.sh deps >/dev/null
[ -x build/stageproxy ] || scripts/setup.sh build >/dev/null
DB_PID= SP_PID= SOCAT_PID=
bench_work proxy DB_PID SP_PID SOCAT_PID

start_mariadb --innodb-buffer-pool-size=256M --max-connections=200

sp_start "$WORK/sp" --upstream "127.0.0.1:$DB_PORT" --upstream-user test --upstream-password testpass \
    --max-connections 200
SP_PORT=$SP_MYSQL

SOCAT_PORT=$(free_port)
socat "TCP-LISTEN:$SOCAT_PORT,bind=127.0.0.1,reuseaddr,fork,nodelay" "TCP:127.0.0.1:$DB_PORT,nodelay" &
SOCAT_PID=$!
sleep 0.3

sb() { # TARGET TEST THREADS [sysbench args...]
    local port user pw
    case $1 in
    direct) port=$DB_PORT user=test pw=testpass ;;
    stageproxy) port=$SP_PORT user=root pw= ;;
    socat) port=$SOCAT_PORT user=test pw=testpass ;;
    esac
    sysbench "$2" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user="$user" \
        --mysql-password="$pw" --mysql-db=sbtest --tables=4 --table-size=100000 --threads="$3" "${@:4}"
}

# CPU time (clock ticks) of a relay: socat's children are counted once reaped
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }
TICK_MS=$(python3 -c 'import os; print(1000 / os.sysconf("SC_CLK_TCK"))')

sb direct oltp_read_only 4 prepare >/dev/null
declare -A qps p95 cpu
for run in $(seq "$RUNS"); do
    for test in oltp_point_select oltp_read_only; do
        for threads in 4 16; do
            for target in direct stageproxy socat; do
                relay=
                [ "$target" = stageproxy ] && relay=$SP_PID
                [ "$target" = socat ] && relay=$SOCAT_PID
                [ -n "$relay" ] && t0=$(ticks "$relay")
                out=$(sb "$target" "$test" "$threads" --time="$SECS" --percentile=95 run)
                sleep 0.5 # socat reaps its children
                n=$(awk '/queries:/ {print $2}' <<<"$out")
                [ -n "$relay" ] && cpu[$test $threads $target]+="$(python3 -c "import sys; print('%.1f' % ((int(sys.argv[2]) - int(sys.argv[1])) * float(sys.argv[3]) * 1000 / int(sys.argv[4])))" "$t0" "$(ticks "$relay")" "$TICK_MS" "$n") "
                if ! grep -q 'ignored errors: *0 ' <<<"$out"; then
                    echo "$target $test $threads: errors" >&2
                    echo "$out" >&2
                    exit 1
                fi
                k="$test $threads $target"
                qps[$k]+="$(awk '/queries:/ {gsub(/[(]/, "", $3); print $3}' <<<"$out") "
                p95[$k]+="$(awk '/95th percentile:/ {print $3}' <<<"$out") "
            done
        done
    done
    echo "round $run of $RUNS done" >&2
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo "| test | threads | direct q/s (p95 ms) | stageproxy q/s (p95 ms) | socat q/s (p95 ms) | stageproxy / socat | stageproxy / direct | relay CPU ms per 1000 queries: stageproxy / socat |"
echo "|---|---|---|---|---|---|---|---|"
for test in oltp_point_select oltp_read_only; do
    for threads in 4 16; do
        d=$(med "${qps[$test $threads direct]}")
        s=$(med "${qps[$test $threads stageproxy]}")
        x=$(med "${qps[$test $threads socat]}")
        echo "| $test | $threads | $d ($(med "${p95[$test $threads direct]}")) | $s ($(med "${p95[$test $threads stageproxy]}")) | $x ($(med "${p95[$test $threads socat]}")) | $(ratio "$s" "$x") | $(ratio "$s" "$d") | $(med "${cpu[$test $threads stageproxy]}") / $(med "${cpu[$test $threads socat]}") |"
    done
done
