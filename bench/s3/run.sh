#!/usr/bin/env bash
# stageproxy's S3 driver against the aws CLI, both talking to the same
# signature-verifying S3 test server (npm @20minutes/s3rver):
#   - a SIZE file: curl -T through stageproxy to an external stage, against
#     `aws s3 cp` of the same file straight to the server; RUNS alternating
#     runs each, medians and the ratio; stageproxy's peak RSS meanwhile;
#   - LIST of KEYS keys through the mariadb CLI against `aws s3 ls --recursive`.
# Usage: bench/s3/run.sh [RUNS] [SIZE_MIB] [KEYS]     (defaults 3, 1024, 100000)
# Work files go to $BENCH_DIR (default: a new directory under /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
RUNS=${1:-3}
SIZE_MIB=${2:-1024}
KEYS=${3:-100000}
bench_needs awscli
[ -d tests/e2e/node/node_modules/@20minutes/s3rver ] ||
    (cd tests/e2e/node && npm ci --no-audit --no-fund --loglevel=error)
SP_PID= S3_PID=
bench_work s3 SP_PID S3_PID
now() { date +%s.%N; }
since() { python3 -c "import sys,time; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

(cd tests/e2e/node && NODE_OPTIONS=--openssl-legacy-provider exec node s3rver.js -d "$WORK/s3" \
    -a 127.0.0.1 -p 0 --configure-bucket bkt >"$WORK/s3.log" 2>&1) &
S3_PID=$!
for _ in $(seq 200); do grep -q "listening on" "$WORK/s3.log" && break; sleep 0.05; done
S3_PORT=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/s3.log" | cut -d: -f2)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
AWS="aws --endpoint-url http://127.0.0.1:$S3_PORT"

sp_start "$WORK/sp"
MYSQL="mariadb -h127.0.0.1 -P$SP_MYSQL -uroot"
$MYSQL -e "CREATE STAGE up URL='s3://bkt/sp/' CONNECTION=(ENDPOINT_URL='http://127.0.0.1:$S3_PORT' ACCESS_KEY_ID='S3RVER' SECRET_ACCESS_KEY='S3RVER');
           CREATE STAGE many URL='s3://bkt/many/' CONNECTION=(ENDPOINT_URL='http://127.0.0.1:$S3_PORT' ACCESS_KEY_ID='S3RVER' SECRET_ACCESS_KEY='S3RVER')"

head -c $((SIZE_MIB << 20)) /dev/urandom >"$WORK/file"
SP_T=() AWS_T=()
for i in $(seq "$RUNS"); do
    t=$(now)
    curl -sf -T "$WORK/file" -o /dev/null "http://127.0.0.1:$SP_HTTP/v1/stages/up/files/f$i"
    SP_T+=("$(since "$t")")
    t=$(now)
    $AWS s3 cp --quiet "$WORK/file" "s3://bkt/aws/f$i"
    AWS_T+=("$(since "$t")")
done
SP_MED=$(printf '%s\n' "${SP_T[@]}" | median)
AWS_MED=$(printf '%s\n' "${AWS_T[@]}" | median)
PEAK=$(awk '/VmHWM/ {print $2}' "/proc/$SP_PID/status")
echo "upload ${SIZE_MIB} MiB: stageproxy ${SP_T[*]} s (median $SP_MED), aws s3 cp ${AWS_T[*]} s (median $AWS_MED)"
echo "  speed ratio stageproxy/aws: $(ratio "$AWS_MED" "$SP_MED")x; stageproxy peak RSS $((PEAK / 1024)) MiB"

# KEYS small objects, seeded by the aws CLI (the slow part of this benchmark)
mkdir -p "$WORK/keys"
python3 - "$WORK/keys" "$KEYS" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i % 100))
    os.makedirs(sub, exist_ok=True)
    open(os.path.join(sub, "k%07d.csv" % i), "w").close()
PY
$AWS s3 cp --quiet --recursive "$WORK/keys" s3://bkt/many/
LS_T=() AL_T=()
for i in $(seq "$RUNS"); do
    t=$(now)
    n=$($MYSQL -N -e "LIST @many" | wc -l)
    LS_T+=("$(since "$t")")
    t=$(now)
    m=$($AWS s3 ls --recursive s3://bkt/many/ | wc -l)
    AL_T+=("$(since "$t")")
done
LS_MED=$(printf '%s\n' "${LS_T[@]}" | median)
AL_MED=$(printf '%s\n' "${AL_T[@]}" | median)
echo "LIST of $KEYS keys: stageproxy $n rows in ${LS_T[*]} s (median $LS_MED), aws s3 ls $m lines in ${AL_T[*]} s (median $AL_MED)"
echo "  speed ratio stageproxy/aws: $(ratio "$AL_MED" "$LS_MED")x"
