#!/usr/bin/env bash
# The two set-up commands of the README, for a fresh Debian 12 machine:
#   scripts/setup.sh run    install what is missing, build, start the server
#   scripts/setup.sh test   install the test peers, build, run every test
# (plus `deps` and `build` for the Dockerfile, and `packages P...` for the
# benches' peers). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD_PKGS=(build-essential cmake pkg-config libuv1-dev libssl-dev libcurl4-openssl-dev
            libjansson-dev node-llhttp libinih-dev libpcre2-dev libexpat1-dev)
TEST_PKGS=(clang libclang-rt-14-dev clang-format mariadb-client python3-pymysql python3-mysqldb
           libmariadb-java openssl curl procps awscli mariadb-server sysbench
           iproute2 util-linux valgrind)

say() { printf '==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    if [ $apt_updated -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    # Keep apt from starting services (mariadb-server and friends) on install.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" </dev/null
}

install_runtimes() {
    # Java and node may come from elsewhere on the machine; Debian's otherwise.
    command -v java >/dev/null || install_missing default-jre-headless
    command -v node >/dev/null || install_missing nodejs
    command -v npm >/dev/null || install_missing npm
}

build() {  # build DIR [cmake args...]
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j"$(nproc)"
}

check_format() {
    say "checking formatting (clang-format)"
    local files
    mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find server protocol storage tests -name '*.[ch]')
    clang-format --dry-run --Werror "${files[@]}"
}

run_fuzzers() {
    local seconds=${FUZZ_SECONDS:-20}
    say "fuzzing each harness for ${seconds}s"
    CC=clang build "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DSTAGEPROXY_FUZZ=ON -DSTAGEPROXY_SANITIZE=ON
    for corpus in "$ROOT"/tests/fuzz/corpus/*/; do
        local name work
        name=$(basename "$corpus")
        work=$(mktemp -d)
        cp "$corpus"/* "$work"/
        (cd "$work" && "$ROOT/build-fuzz/tests/fuzz/fuzz_$name" -max_total_time="$seconds" \
            -max_len=4096 -print_final_stats=0 "$work" >"$work.log" 2>&1) || {
            tail -40 "$work.log"
            echo "fuzz_$name failed; the reproducer is in $work"
            return 1
        }
        say "fuzz_$name: $(grep -o 'Done [0-9]* runs' "$work.log")"
        rm -rf "$work" "$work.log"
    done
}

case "${1:-}" in
deps)
    install_missing "${BUILD_PKGS[@]}"
    ;;
build)
    install_missing "${BUILD_PKGS[@]}"
    build "$ROOT/build"
    ;;
packages)
    install_missing "${@:2}"
    ;;
run)
    install_missing "${BUILD_PKGS[@]}"
    build "$ROOT/build"
    say "starting stageproxy: MySQL on 127.0.0.1:3307, HTTP on 127.0.0.1:8000, data in ./data"
    exec "$ROOT/build/stageproxy" "${@:2}"
    ;;
test)
    install_missing "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    install_runtimes
    say "installing the node test drivers"
    (cd tests/e2e/node && npm ci --no-audit --no-fund --loglevel=error)
    check_format
    say "build and test"
    build "$ROOT/build"
    (cd "$ROOT/build" && ctest --output-on-failure -j2)
    say "AddressSanitizer + UndefinedBehaviorSanitizer build and test"
    build "$ROOT/build-asan" -DSTAGEPROXY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    (cd "$ROOT/build-asan" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2)
    say "ThreadSanitizer build: the proxy tests, whose sessions cross relay threads"
    CC=clang build "$ROOT/build-tsan" -DCMAKE_C_COMPILER=clang -DSTAGEPROXY_TSAN=ON \
        -DCMAKE_BUILD_TYPE=Debug
    (cd "$ROOT/build-tsan" && ctest --output-on-failure -j2 -R 'e2e_(proxy|relay_threads)')
    run_fuzzers
    say "all tests passed"
    ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
