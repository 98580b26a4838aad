#!/usr/bin/env bash
# Uploads through stageproxy's HTTP listener (fs driver) against nginx
# WebDAV (nginx-extras) on the same disk, and dd conv=fsync of the same size:
#   - curl -T of a SIZE file, RUNS alternating runs each, medians and ratios;
#     stageproxy answers once the file is durable and hashes it afterwards,
#     so each of its runs also times a HEAD right after the answer (it waits
#     for the MD5), and the next run starts only when the hash is done;
#   - curl -F (multipart to /v1/upload_to_stage) of the same file;
#   - 100 concurrent 10 MiB uploads (curl -T), wall time, both servers;
#   - stageproxy's peak RSS during a 4 GiB upload.
# Usage: bench/upload/run.sh [RUNS] [SIZE_MIB]     (defaults 3 and 1024)
# Work files go to $BENCH_DIR (default: a new directory under /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
RUNS=${1:-3}
SIZE_MIB=${2:-1024}
bench_needs nginx-extras curl
SP_PID= NG_PID=
bench_work upload SP_PID NG_PID


# stageproxy
sp_start "$WORK/sp"
mariadb -h127.0.0.1 -P"$SP_MYSQL" -uroot -e 'CREATE STAGE bench'

# nginx WebDAV, one worker like stageproxy's one loop
NG_PORT=$(free_port)
mkdir -p "$WORK/ng/root" "$WORK/ng/tmp"
cat >"$WORK/ng/nginx.conf" <<EOF
worker_processes 1;
daemon off;
user root;
pid $WORK/ng/nginx.pid;
error_log $WORK/ng/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/ng/tmp;
    server {
        listen 127.0.0.1:$NG_PORT;
        root $WORK/ng/root;
        client_max_body_size 0;
        dav_methods PUT DELETE;
        create_full_put_path on;
    }
}
EOF
/usr/sbin/nginx -c "$WORK/ng/nginx.conf" -e "$WORK/ng/error.log" &
NG_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/" && break; sleep 0.05; done

head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/file.bin"
sync

put_time() { curl -sS -o /dev/null --fail -w '%{time_total}\n' -T "$WORK/file.bin" "$1"; }
head_time() { curl -sS -o /dev/null --fail -w '%{time_total}\n' -I "$1"; }
sp=() sp_md5=() ng=() dd_t=() mp=()
for i in $(seq "$RUNS"); do
    sp+=("$(put_time "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files/run$i.bin")")
    sp_md5+=("$(head_time "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files/run$i.bin")")
    rm -f "$WORK"/sp/stages/internal/bench/run*.bin
    ng+=("$(put_time "http://127.0.0.1:$NG_PORT/run$i.bin")")
    rm -f "$WORK"/ng/root/run*.bin
    dd_t+=("$(python3 -c 'import sys,time,subprocess; t=time.perf_counter(); subprocess.run(["dd", "if="+sys.argv[1], "of="+sys.argv[2], "bs=1M", "conv=fsync", "status=none"], check=True); print("%.3f" % (time.perf_counter()-t))' "$WORK/file.bin" "$WORK/dd.bin")")
    rm -f "$WORK/dd.bin"
    mp+=("$(curl -sS -o /dev/null --fail -w '%{time_total}\n' -H 'X-DATABEND-STAGE-NAME: bench' \
        -F "upload=@$WORK/file.bin;filename=mp$i.bin" -XPUT "http://127.0.0.1:$SP_HTTP/v1/upload_to_stage")")
    head_time "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files/mp$i.bin" >/dev/null
    rm -f "$WORK"/sp/stages/internal/bench/mp*.bin
done
SP_MED=$(printf '%s\n' "${sp[@]}" | median)
MD5_MED=$(printf '%s\n' "${sp_md5[@]}" | median)
NG_MED=$(printf '%s\n' "${ng[@]}" | median)
DD_MED=$(printf '%s\n' "${dd_t[@]}" | median)
MP_MED=$(printf '%s\n' "${mp[@]}" | median)

# 100 concurrent 10 MiB uploads
head -c $((10 * 1024 * 1024)) /dev/urandom >"$WORK/ten.bin"
many() {
    python3 -c 'import sys,time,subprocess; t=time.perf_counter(); subprocess.run(sys.argv[1:], check=True); print("%.3f" % (time.perf_counter()-t))' \
        sh -c "seq 100 | xargs -P 100 -I{} curl -sS -o /dev/null --fail -T '$WORK/ten.bin' '$1'"
}
c_sp=() c_ng=()
for i in $(seq "$RUNS"); do
    c_sp+=("$(many "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files/c/{}.bin")")
    # the listing waits for the last hashes, so nginx's run starts on an idle machine
    curl -sS -o /dev/null --fail "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files?prefix=c/"
    rm -rf "$WORK/sp/stages/internal/bench/c"
    c_ng+=("$(many "http://127.0.0.1:$NG_PORT/c/{}.bin")")
    rm -rf "$WORK/ng/root/c"
done
CSP_MED=$(printf '%s\n' "${c_sp[@]}" | median)
CNG_MED=$(printf '%s\n' "${c_ng[@]}" | median)

# peak RSS of a 4 GiB upload (a restarted server, so earlier runs do not count)
kill "$SP_PID"; wait "$SP_PID" 2>/dev/null || true
sp_start "$WORK/sp"
IDLE_RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SP_PID/status")
head -c 4G /dev/zero | curl -sS -o /dev/null --fail -T - "http://127.0.0.1:$SP_HTTP/v1/stages/bench/files/four.bin"
PEAK_RSS=$(awk '/VmHWM/ {print $2}' "/proc/$SP_PID/status")
SIZE4=$(stat -c %s "$WORK/sp/stages/internal/bench/four.bin")

echo "raw PUT ${SIZE_MIB} MiB (median of $RUNS): stageproxy ${SP_MED} s ($(mibps "$SIZE_MIB" "$SP_MED") MiB/s)," \
     "nginx WebDAV ${NG_MED} s ($(mibps "$SIZE_MIB" "$NG_MED") MiB/s), dd conv=fsync ${DD_MED} s"
echo "  stageproxy throughput / nginx: $(ratio "$NG_MED" "$SP_MED"); / dd: $(ratio "$DD_MED" "$SP_MED")"
echo "  stageproxy: a HEAD right after the answer waits ${MD5_MED} s for the MD5"
echo "multipart -F ${SIZE_MIB} MiB: ${MP_MED} s; multipart throughput / raw: $(ratio "$SP_MED" "$MP_MED")"
echo "100 concurrent 10 MiB: stageproxy ${CSP_MED} s, nginx ${CNG_MED} s; stageproxy throughput / nginx: $(ratio "$CNG_MED" "$CSP_MED")"
echo "4 GiB upload ($SIZE4 bytes stored): stageproxy RSS idle ${IDLE_RSS} KiB, peak ${PEAK_RSS} KiB"
echo "runs: sp ${sp[*]} | sp md5 wait ${sp_md5[*]} | nginx ${ng[*]} | dd ${dd_t[*]} | mp ${mp[*]} | c_sp ${c_sp[*]} | c_ng ${c_ng[*]}"
