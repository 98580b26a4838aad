#!/usr/bin/env bash
# sysbench oltp_point_select and oltp_read_only at 4 and 16 threads against
# a throwaway MariaDB: straight to it, through stageproxy (proxy mode, relay
# threads as configured by default), through stageproxy relaying on its main
# thread only (--relay-threads 0, as before relay threads), and through a
# plain socat relay with TCP_NODELAY, alternating in each round; stageproxy
# and socat each once more with MariaDB's unix socket as upstream. Reports
# median queries/s and p95 latency of RUNS rounds, the ratios, and where the
# CPU went per query (client, MariaDB, relay, idle).
# Usage: bench/proxy/run.sh [RUNS] [SECONDS]    # defaults 3 and 10
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
RUNS=${1:-3}
SECS=${2:-10}
bench_needs sysbench socat mariadb-server
DB_PID= SP_PID= SPS_PID= SP1_PID= SOCAT_PID= SOCATS_PID=
bench_work proxy DB_PID SP_PID SPS_PID SP1_PID SOCAT_PID SOCATS_PID

start_mariadb --innodb-buffer-pool-size=256M --max-connections=200

upstream_flags=(--upstream-user test --upstream-password testpass --max-connections 200)
declare -A port pid
sp_start "$WORK/sps" --upstream "$WORK/db.sock" "${upstream_flags[@]}"
SPS_PID=$SP_PID SP_PID=
port[stageproxy-socket]=$SP_MYSQL pid[stageproxy-socket]=$SPS_PID
sp_start "$WORK/sp1" --upstream "127.0.0.1:$DB_PORT" --relay-threads 0 "${upstream_flags[@]}"
SP1_PID=$SP_PID SP_PID=
port[stageproxy-one]=$SP_MYSQL pid[stageproxy-one]=$SP1_PID
sp_start "$WORK/sp" --upstream "127.0.0.1:$DB_PORT" "${upstream_flags[@]}"
port[stageproxy]=$SP_MYSQL pid[stageproxy]=$SP_PID
RELAYS=$(curl -s "http://127.0.0.1:$SP_HTTP/metrics" | awk '/^stageproxy_relay_threads / {print $2}')
TARGETS="direct stageproxy stageproxy-socket stageproxy-one socat socat-socket"
LABELS="direct q/s (p95 ms)|stageproxy ($RELAYS relay threads)|stageproxy, socket upstream|stageproxy, main thread only|socat|socat, socket upstream"

# socat's listen backlog is 5 by default: 16 clients connecting at once
# would wait for SYN retries
port[socat]=$(free_port)
socat "TCP-LISTEN:${port[socat]},bind=127.0.0.1,reuseaddr,fork,nodelay,backlog=128" \
    "TCP:127.0.0.1:$DB_PORT,nodelay" &
SOCAT_PID=$! pid[socat]=$!
port[socat-socket]=$(free_port)
socat "TCP-LISTEN:${port[socat-socket]},bind=127.0.0.1,reuseaddr,fork,nodelay,backlog=128" \
    "UNIX-CONNECT:$WORK/db.sock" &
SOCATS_PID=$! pid[socat-socket]=$!
port[direct]=$DB_PORT pid[direct]=
sleep 0.3

sb() { # TARGET TEST THREADS [sysbench args...]
    local user=test pw=testpass
    case $1 in stageproxy*) user=root pw= ;; esac
    sysbench "$2" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="${port[$1]}" --mysql-user="$user" \
        --mysql-password="$pw" --mysql-db=sbtest --tables=4 --table-size=100000 --threads="$3" "${@:4}"
}

# CPU time in clock ticks of the processes PIDS (socat's children counted once reaped)
ticks() {
    local p t=0
    for p in $1; do t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat"))); done
    echo $t
}
# machine-wide busy and idle ticks
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; }
TICK_US=$(python3 -c 'import os; print(1000000 / os.sysconf("SC_CLK_TCK"))')
per_query() { python3 -c "import sys; print('%.1f' % ((float(sys.argv[2]) - float(sys.argv[1])) * float(sys.argv[3]) / int(sys.argv[4])))" "$@"; }

sb direct oltp_read_only 4 prepare >/dev/null
declare -A qps p95 cpu_db cpu_relay cpu_client idle
for run in $(seq "$RUNS"); do
    for test in oltp_point_select oltp_read_only; do
        for threads in 4 16; do
            for target in $TARGETS; do
                relay=${pid[$target]}
                r0=$(ticks "$relay") d0=$(ticks "$DB_PID")
                read -r b0 i0 < <(machine)
                out=$(sb "$target" "$test" "$threads" --time="$SECS" --percentile=95 run) || {
                    echo "$target $test $threads: sysbench failed" >&2
                    echo "$out" >&2
                    exit 1
                }
                read -r b1 i1 < <(machine)
                sleep 0.5 # socat reaps its children
                r1=$(ticks "$relay") d1=$(ticks "$DB_PID")
                if ! grep -q 'ignored errors: *0 ' <<<"$out"; then
                    echo "$target $test $threads: errors" >&2
                    echo "$out" >&2
                    exit 1
                fi
                n=$(awk '/queries:/ {print $2}' <<<"$out")
                k="$test $threads $target"
                qps[$k]+="$(awk '/queries:/ {gsub(/[(]/, "", $3); print $3}' <<<"$out") "
                p95[$k]+="$(awk '/95th percentile:/ {print $3}' <<<"$out") "
                cpu_relay[$k]+="$(per_query "$r0" "$r1" "$TICK_US" "$n") "
                cpu_db[$k]+="$(per_query "$d0" "$d1" "$TICK_US" "$n") "
                # the rest of the busy time: sysbench, and whatever else ran
                cpu_client[$k]+="$(per_query "$((r1 - r0 + d1 - d0))" "$((b1 - b0))" "$TICK_US" "$n") "
                idle[$k]+="$(per_query "$i0" "$i1" "$TICK_US" "$n") "
            done
        done
    done
    echo "round $run of $RUNS done" >&2
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
cell() { echo "$(med "${qps[$1 $2 $3]}") ($(med "${p95[$1 $2 $3]}"))"; }
q() { med "${qps[$1 $2 $3]}"; }
header() { echo "| test | threads | ${LABELS//|/ | } |" && echo "|---|---|$(sed 's/[^|]*|/---|/g' <<<"$LABELS|")"; }
header
for test in oltp_point_select oltp_read_only; do
    for threads in 4 16; do
        row="| $test | $threads |"
        for target in $TARGETS; do row+=" $(cell "$test" "$threads" "$target") |"; done
        echo "$row"
    done
done
echo
LABELS="stageproxy / socat|stageproxy / direct|stageproxy, socket / socat, socket|stageproxy, socket / direct|main thread only / socat|main thread only / direct"
header
for test in oltp_point_select oltp_read_only; do
    for threads in 4 16; do
        d=$(q "$test" "$threads" direct) s=$(q "$test" "$threads" stageproxy)
        ss=$(q "$test" "$threads" stageproxy-socket) s1=$(q "$test" "$threads" stageproxy-one)
        x=$(q "$test" "$threads" socat) xs=$(q "$test" "$threads" socat-socket)
        echo "| $test | $threads | $(ratio "$s" "$x") | $(ratio "$s" "$d") | $(ratio "$ss" "$xs") |" \
            "$(ratio "$ss" "$d") | $(ratio "$s1" "$x") | $(ratio "$s1" "$d") |"
    done
done
echo
echo "CPU µs per query, medians: client and the rest / MariaDB / relay / idle (2 cores)"
echo
LABELS="direct|stageproxy|stageproxy, socket upstream|stageproxy, main thread only|socat|socat, socket upstream"
header
for test in oltp_point_select oltp_read_only; do
    for threads in 4 16; do
        row="| $test | $threads |"
        for target in $TARGETS; do
            k="$test $threads $target"
            row+=" $(med "${cpu_client[$k]}") / $(med "${cpu_db[$k]}") / $(med "${cpu_relay[$k]}") / $(med "${idle[$k]}") |"
        done
        echo "$row"
    done
done
