#!/usr/bin/env bash
# A Kafka-protocol broker on loopback for the tests: tansu (crates.io, Apache-2.0) with its
# in-memory storage engine.
#
#   scripts/kafka.sh install   install tansu unless a binary with the postgres engine is there
#   scripts/kafka.sh start     install if needed, start a broker on a free loopback port, wait
#                              until it answers; prints the address (for LEAKWATCH_KAFKA)
#   scripts/kafka.sh stop      stop the broker started by `start`
#
# Apache Kafka itself is not in this machine's package registries; tansu is. Its default
# features have no storage engine, hence `--features dynostore,postgres`: the shared broker
# started here uses `memory://` (fast; dynostore provides it), the broker-restart fault tests
# (tests/faults.rs) run private brokers on `postgres://` (a database of the test PostgreSQL,
# made from scripts/tansu-postgres.sql), which keeps an acknowledged batch across a SIGKILL.
# The release build takes 10-20 minutes on 2 cores, so an installed binary is reused ($TANSU,
# then PATH, then ~/.cargo/bin) if it has the postgres engine (`tansu --help` lists the engines
# built in); one without it (an older install) is replaced.
set -euo pipefail

# The version scripts/tansu-postgres.sql is written for.
TANSU_VERSION=0.6.0

state="${LEAKWATCH_KAFKA_STATE:-${TMPDIR:-/tmp}/leakwatch-kafka}"
mkdir -p "$state"

# Whether tansu binary $1 has the postgres storage engine.
has_postgres() {
    local help
    help="$("$1" --help 2>/dev/null)" || return 1
    [[ "$help" =~ (^|$'\n')"Storage engines:"[^$'\n']*postgres ]]
}

find_tansu() {
    for t in "${TANSU:-}" "$(command -v tansu || true)" "$HOME/.cargo/bin/tansu"; do
        if [[ -n "$t" && -x "$t" ]] && has_postgres "$t"; then
            echo "$t"
            return 0
        fi
    done
    return 1
}

install() {
    if find_tansu >/dev/null; then
        return 0
    fi
    echo "kafka.sh: installing tansu $TANSU_VERSION (--features dynostore,postgres; 10-20 min)" >&2
    # --force: replaces a tansu without the postgres engine.
    cargo install tansu --version "$TANSU_VERSION" --locked --force --features dynostore,postgres \
        --target-dir "${TANSU_TARGET_DIR:-/var/tmp/tansu-build}" >&2
    if ! find_tansu >/dev/null; then
        echo "kafka.sh: the installed tansu has no postgres storage engine (or is not on \$TANSU / PATH / ~/.cargo/bin)" >&2
        return 1
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    install
    local tansu port
    tansu="$(find_tansu)"
    port="${LEAKWATCH_KAFKA_PORT:-$(free_port)}"
    "$tansu" broker \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "memory://tansu/" \
        >"$state/broker.log" 2>&1 &
    echo $! >"$state/broker.pid"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$(cat "$state/broker.pid")" 2>/dev/null; then
            echo "kafka.sh: tansu exited; its log:" >&2
            cat "$state/broker.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "kafka.sh: tansu does not answer on 127.0.0.1:$port" >&2
    return 1
}

stop() {
    if [[ -f "$state/broker.pid" ]]; then
        kill "$(cat "$state/broker.pid")" 2>/dev/null || true
        rm -f "$state/broker.pid"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 install|start|stop" >&2
        exit 2
        ;;
esac
