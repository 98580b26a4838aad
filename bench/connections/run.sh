#!/usr/bin/env bash
# RSS per idle authenticated connection: stageproxy against pgbouncer (the
# named peer), N = 1,000 and 10,000, median of RUNS runs each, in one run.
# Installs pgbouncer (and PostgreSQL for its server side) if missing.
# Usage: bench/connections/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
ROOT=$PWD
RUNS=${1:-3}
bench_needs pgbouncer postgresql mariadb-server
ulimit -n "$(ulimit -Hn)"  # 10,000 connections need as many descriptors
SP_PID= PGB_PID= DB_PID=
bench_work connections SP_PID PGB_PID DB_PID


# PostgreSQL behind pgbouncer; pgbouncer runs as an unprivileged user.
PG_PORT=$(free_port)
PGB_PORT=$(free_port)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
id benchpg >/dev/null 2>&1 || useradd --system --no-create-home benchpg
chown benchpg "$WORK"
su benchpg -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg -A trust -U bench >/dev/null"
su benchpg -s /bin/sh -c "$PG_BIN/postgres -D $WORK/pg -p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=50 >$WORK/pg.log 2>&1 &"
for _ in $(seq 50); do pg_isready -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 0.1; done
su benchpg -s /bin/sh -c "$PG_BIN/createdb -h 127.0.0.1 -p $PG_PORT -U bench bench"
cat >"$WORK/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$PG_PORT dbname=bench user=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
auth_type = trust
auth_file = $WORK/userlist.txt
pool_mode = session
max_client_conn = 20000
default_pool_size = 5
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
INI
echo '"bench" ""' >"$WORK/userlist.txt"
chown benchpg "$WORK"/*

# Both servers start afresh for every run: pgbouncer keeps its slabs once
# grown, so a second run on the same process would measure nothing.
start_pgbouncer() {
    su benchpg -s /bin/sh -c "ulimit -n $(ulimit -Hn); pgbouncer -d $WORK/pgbouncer.ini"
    for _ in $(seq 50); do [ -s "$WORK/pgbouncer.pid" ] && break; sleep 0.1; done
    PGB_PID=$(cat "$WORK/pgbouncer.pid")
    sleep 0.3
}

stop_pgbouncer() {
    kill "$PGB_PID"
    for _ in $(seq 50); do kill -0 "$PGB_PID" 2>/dev/null || break; sleep 0.1; done
    PGB_PID=
}

start_stageproxy() { # [upstream flags...]
    rm -rf "$WORK/sp"
    sp_start "$WORK/sp" --max-connections 20000 "$@"
    SP_PORT=$SP_MYSQL
}

stop_stageproxy() {
    kill "$SP_PID"
    wait "$SP_PID" 2>/dev/null || true
    SP_PID=
}


measure() {  # measure mysql|mysql-tls|pg N
    local out
    case $1 in
    pg) start_pgbouncer; out=$(python3 bench/connections/hold.py pg "$PGB_PORT" "$PGB_PID" "$2"); stop_pgbouncer ;;
    proxy)
        start_stageproxy --upstream "127.0.0.1:$DB_PORT" --upstream-user test --upstream-password testpass
        out=$(python3 bench/connections/hold.py mysql "$SP_PORT" "$SP_PID" "$2")
        stop_stageproxy ;;
    *) start_stageproxy; out=$(python3 bench/connections/hold.py "$1" "$SP_PORT" "$SP_PID" "$2"); stop_stageproxy ;;
    esac
    [ -n "${BENCH_DEBUG:-}" ] && echo "$1 $2: $out" >&2
    echo "$out" | awk '{print $3}'
}

echo "| N | stageproxy KiB/conn | stageproxy over TLS KiB/conn | pgbouncer KiB/conn | stageproxy / pgbouncer |"
echo "|---|---|---|---|---|"
for N in 1000 10000; do
    sp=() tls=() pg=()
    for _ in $(seq "$RUNS"); do
        sp+=("$(measure mysql "$N")")
        tls+=("$(measure mysql-tls "$N")")
        pg+=("$(measure pg "$N")")
    done
    msp=$(printf '%s\n' "${sp[@]}" | median)
    mtls=$(printf '%s\n' "${tls[@]}" | median)
    mpg=$(printf '%s\n' "${pg[@]}" | median)
    echo "| $N | $msp | $mtls | $mpg | $(awk -v a="$msp" -v b="$mpg" 'BEGIN {printf "%.2f", a / b}') |"
done

# Proxy mode: each client also holds its upstream session (MariaDB's side
# is not counted). 1,000 only: MariaDB runs a thread per session.
start_mariadb --max-connections=1100 --innodb-buffer-pool-size=32M
px=()
for _ in $(seq "$RUNS"); do px+=("$(measure proxy 1000)"); done
echo
echo "| N | stageproxy in proxy mode KiB/conn |"
echo "|---|---|"
echo "| 1000 | $(printf '%s\n' "${px[@]}" | median) |"
su benchpg -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg stop -m fast >/dev/null"
