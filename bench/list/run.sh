#!/usr/bin/env bash
# LIST of an internal stage with 100,000 files in 1,000 directories through
# the mariadb client (median wall time of RUNS, peak server RSS against a
# 10,000-file stage to show memory does not grow with the number of files),
# with `find | sort` of the same tree as the same-run baseline; and SHOW
# STAGES with 10,000 stages. Usage: bench/list/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
RUNS=${1:-5}
bench_needs mariadb-client
SP_PID=
bench_work list SP_PID

python3 - "$WORK/data" <<'PY'
import json, os, sys
data = sys.argv[1]
for stage, dirs in (("big", 1000), ("small", 100)):
    for d in range(dirs):
        base = os.path.join(data, "stages", "internal", stage, "dir%04d" % d)
        os.makedirs(base)
        for f in range(100):
            with open(os.path.join(base, "file%03d.csv" % f), "w") as fh:
                fh.write("x" * (d % 7))
stages = [{"name": n, "type": "internal", "connection": {}, "file_format": {"type": "PARQUET"},
           "comment": "", "creator": "'root'@'%'", "created_on": "2026-01-01T00:00:00.000000Z"}
          for n in ["big", "small"] + ["stage%05d" % i for i in range(10000)]]
with open(os.path.join(data, "catalog.json"), "w") as fh:
    json.dump({"version": 1, "stages": sorted(stages, key=lambda s: s["name"])}, fh)
os.chmod(os.path.join(data, "catalog.json"), 0o600)
PY

start() {
    sp_start "$WORK/data"
    MPORT=$SP_MYSQL
}
stop() { kill "$SP_PID"; wait "$SP_PID" 2>/dev/null || true; SP_PID=; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$SP_PID/status"; }
ms() { python3 -c 'import sys,time,subprocess; t=time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); print("%.1f" % ((time.perf_counter()-t)*1000))' "$@"; }

start
rows=$(mariadb -h127.0.0.1 -P"$MPORT" -uroot -N -e 'LIST @big' | wc -l)
[ "$rows" = 100000 ] || { echo "LIST returned $rows rows" >&2; exit 1; }
list=() base=()
for _ in $(seq "$RUNS"); do
    list+=("$(ms mariadb -h127.0.0.1 -P"$MPORT" -uroot -e 'LIST @big')")
    base+=("$(ms sh -c "cd '$WORK/data/stages/internal/big' && find . -type f -printf '%s %T@ %p\\n' | LC_ALL=C sort")")
done
hwm_big=$(hwm)
stop
start
for _ in $(seq "$RUNS"); do mariadb -h127.0.0.1 -P"$MPORT" -uroot -e 'LIST @small' >/dev/null; done
hwm_small=$(hwm)
show=() one=()
for _ in $(seq "$RUNS"); do
    show+=("$(ms mariadb -h127.0.0.1 -P"$MPORT" -uroot -e 'SHOW STAGES')")
    one+=("$(ms mariadb -h127.0.0.1 -P"$MPORT" -uroot -e 'SELECT 1')")
done
[ "$(mariadb -h127.0.0.1 -P"$MPORT" -uroot -N -e 'SHOW STAGES' | wc -l)" = 10002 ]
stop
ml=$(printf '%s\n' "${list[@]}" | median)
mb=$(printf '%s\n' "${base[@]}" | median)
msh=$(printf '%s\n' "${show[@]}" | median)
mone=$(printf '%s\n' "${one[@]}" | median)
echo "| what | median | baseline (same run) | ratio |"
echo "|---|---|---|---|"
echo "| LIST @big, 100,000 files in 1,000 dirs, mariadb client wall time | ${ml} ms | find -printf size,mtime \| sort: ${mb} ms | $(awk -v a="$ml" -v b="$mb" 'BEGIN {printf "%.2f", a / b}') |"
echo "| keys per second through LIST | $(awk -v a="$ml" 'BEGIN {printf "%.0f", 100000 / (a / 1000)}') | | |"
echo "| server peak RSS: LIST of 10,000 files / of 100,000 files | ${hwm_small} KiB / ${hwm_big} KiB | | $(awk -v a="$hwm_big" -v b="$hwm_small" 'BEGIN {printf "%.2f", a / b}') |"
echo "| SHOW STAGES, 10,000 stages, mariadb client wall time | ${msh} ms | SELECT 1: ${mone} ms | $(awk -v a="$msh" -v b="$mone" 'BEGIN {printf "%.2f", a / b}') |"
echo "| SHOW STAGES itself (wall time less the SELECT 1 session) | $(awk -v a="$msh" -v b="$mone" 'BEGIN {printf "%.1f", a - b}') ms | | |"
