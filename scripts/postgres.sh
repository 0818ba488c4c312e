#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (Debian's `postgresql` package).
#
#   scripts/postgres.sh install   apt-get install postgresql unless initdb and pg_ctl are there
#   scripts/postgres.sh start     install if needed, initdb a cluster in a temp dir, start it on a
#                                 free loopback port; prints the connection URL (for
#                                 LEAKWATCH_POSTGRES)
#   scripts/postgres.sh stop      stop the server started by `start` and delete its cluster
#
# With LEAKWATCH_POSTGRES_TLS=1, `start` also makes a throwaway CA and a server certificate for
# 127.0.0.1 (openssl), turns TLS on and accepts TLS connections only (`hostssl`); the CA is
# $LEAKWATCH_POSTGRES_STATE/tls/ca.pem.
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user (made by
# the Debian package) or, failing that, to a `leakwatch-pg` system user created here. The
# cluster trusts loopback connections (it listens on 127.0.0.1 only and lives as long as the
# test run).
set -euo pipefail

state="${LEAKWATCH_POSTGRES_STATE:-${TMPDIR:-/tmp}/leakwatch-postgres}"

find_bin() {
    local d
    for d in "${PG_BIN:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install() {
    if find_bin >/dev/null; then
        return 0
    fi
    echo "postgres.sh: installing Debian's postgresql (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    find_bin >/dev/null
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the cluster's owner.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$(cat "$state/owner")" -- "$@"
    else
        "$@"
    fi
}

start() {
    install
    local bin port owner
    bin="$(find_bin)"
    rm -rf "$state"
    mkdir -p "$state"
    owner="$(id -un)"
    if [[ "$(id -u)" == 0 ]]; then
        owner=postgres
        if ! id -u postgres >/dev/null 2>&1; then
            owner=leakwatch-pg
            id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home "$owner"
        fi
        chown "$owner" "$state"
    fi
    echo "$owner" >"$state/owner"
    echo "$bin" >"$state/bin"
    port="${LEAKWATCH_POSTGRES_PORT:-$(free_port)}"
    as_owner "$bin/initdb" -D "$state/data" -U leakwatch --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$state/initdb.log" 2>&1 || {
        echo "postgres.sh: initdb failed; its log:" >&2
        cat "$state/initdb.log" >&2
        return 1
    }
    local tls_opts=""
    if [[ "${LEAKWATCH_POSTGRES_TLS:-0}" == 1 ]]; then
        tls
        tls_opts="-c ssl=on -c ssl_cert_file=$state/tls/server.pem -c ssl_key_file=$state/tls/server.key"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
        -o "-p $port -k $state -c listen_addresses=127.0.0.1 -c fsync=off $tls_opts" start >/dev/null; then
        echo "postgres.sh: the server did not start; its log:" >&2
        cat "$state/server.log" >&2
        return 1
    fi
    echo "postgres://leakwatch@127.0.0.1:$port/postgres"
}

# A CA and a server certificate for 127.0.0.1, and TCP connections accepted over TLS only.
tls() {
    local d="$state/tls"
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=leakwatch test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext" -out "$d/server.pem" >/dev/null 2>&1
    chmod 600 "$d/server.key"
    if [[ "$(id -u)" == 0 ]]; then
        chown -R "$(cat "$state/owner")" "$d"
    fi
    sed -i 's/^host\([[:space:]]\)/hostssl\1/' "$state/data/pg_hba.conf"
}

stop() {
    if [[ -f "$state/bin" && -d "$state/data" ]]; then
        as_owner "$(cat "$state/bin")/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$state"
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
