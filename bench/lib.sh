# Helpers the benchmark scripts share; sourced, not run.
# Installs the Debian packages a bench needs (when missing) and builds
# stageproxy if it is not built. Usage: bench_needs PACKAGE...
bench_needs() {
    scripts/setup.sh packages "$@" >/dev/null
    [ -x build/stageproxy ] || scripts/setup.sh build >/dev/null
}
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
# Waits until FILE holds PATTERN (a server's start line), or fails.
wait_for() {
    for _ in $(seq 600); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "timed out waiting for '$2' in $1" >&2
    exit 1
}
# Starts the built stageproxy on free ports with data in DATA_DIR and any
# further flags, logging to $WORK/sp.log; sets SP_PID, SP_MYSQL, SP_HTTP.
# Usage: sp_start DATA_DIR [flags...]
sp_start() {
    rm -f "$WORK/sp.log" # a log left by an earlier server must not answer for this one
    build/stageproxy --data-dir "$1" --mysql-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
        "${@:2}" 2>"$WORK/sp.log" &
    SP_PID=$!
    wait_for "$WORK/sp.log" "MySQL listening"
    SP_MYSQL=$(grep -o 'MySQL listening on 127.0.0.1:[0-9]*' "$WORK/sp.log" | cut -d: -f2)
    SP_HTTP=$(grep -o 'HTTP listening on 127.0.0.1:[0-9]*' "$WORK/sp.log" | cut -d: -f2)
}
# A throwaway MariaDB in $WORK/db on a free port (DB_PORT), user test /
# testpass with every right, database sbtest; its PID in DB_PID. Extra
# mariadbd flags follow.
start_mariadb() {
    DB_PORT=$(free_port)
    cat >"$WORK/init.sql" <<'SQL'
FLUSH PRIVILEGES;
CREATE USER 'test'@'%' IDENTIFIED BY 'testpass';
GRANT ALL ON *.* TO 'test'@'%';
CREATE DATABASE sbtest;
SQL
    mkdir -p "$WORK/dbtmp" # its own: installs sharing /tmp have removed each other's temp tables
    mariadb-install-db --no-defaults --datadir="$WORK/db" --tmpdir="$WORK/dbtmp" --user=root \
        --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
        --extra-file="$WORK/init.sql" >"$WORK/install.log" 2>&1
    mariadbd --no-defaults --datadir="$WORK/db" --tmpdir="$WORK/dbtmp" --user=root \
        --socket="$WORK/db.sock" \
        --pid-file="$WORK/db.pid" --log-error="$WORK/db.log" --port="$DB_PORT" \
        --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin "$@" >"$WORK/db.out" 2>&1 &
    DB_PID=$!
    wait_for "$WORK/db.log" "ready for connections"
}
