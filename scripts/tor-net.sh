#!/usr/bin/env bash
# A private Tor network on loopback for the onion tests: three directory authorities (also
# relays), three middle relays, an onion service publishing a local HTTP fixture server, and a
# client node used only to check that the onion service answers. C tor from Debian's `tor`
# package (tor, tor-gencert); leakwatch's embedded arti is pointed at it by the tests' config.
#
#   scripts/tor-net.sh install      apt-get install tor unless tor and tor-gencert are there
#   scripts/tor-net.sh start [DIR]  generate keys and torrcs, start every node and the fixture
#                                   server, wait until the onion service answers (~40 s), then
#                                   write DIR/net.json (see below)
#   scripts/tor-net.sh background [DIR]
#                                   the same in the background (output in DIR/start.log);
#                                   returns at once. Tests wait for net.json.
#   scripts/tor-net.sh stop [DIR]   stop everything `start` started (also a `start` still running)
#   scripts/tor-net.sh logs [DIR]   the last lines of every node's log
#
# DIR defaults to $LEAKWATCH_TOR_STATE, then ${TMPDIR:-/tmp}/leakwatch-tor. net.json holds the
# authorities' v3idents, the fallbacks (RSA and ed25519 identities, ORPorts), the onion address,
# a valid but unpublished onion address, one whose checksum is right but whose key is not a
# point of the curve, the fixture server's directory, port and access log,
# and every node's log. If the network does not come up in $TOR_NET_TIMEOUT seconds (300),
# net.json holds {"error": ...} and the logs instead, so waiting tests fail at once.
#
# The one setting without which every descriptor fetch fails: with TestingTorNetwork, C tor's
# onion-service time period is 24 voting intervals (480 s here), while arti reads it from the
# consensus parameter hsdir_interval (default 1440 min); the authorities vote hsdir_interval=8.
set -euo pipefail

AUTHORITIES=3
RELAYS=3

state_dir() {
    echo "${1:-${LEAKWATCH_TOR_STATE:-${TMPDIR:-/tmp}/leakwatch-tor}}"
}

install() {
    if command -v tor >/dev/null && command -v tor-gencert >/dev/null; then
        return 0
    fi
    echo "tor-net.sh: installing Debian's tor (apt-get)" >&2
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get install -y --no-install-recommends tor >&2 ||
        { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y --no-install-recommends tor >&2; }
}

# N free loopback TCP ports, all bound at once so they differ.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Onion addresses nobody publishes, with a correct checksum and version: `down`, a real
# ed25519 public key (a host that is down: descriptor not found), or `not_a_key`, 32 bytes that
# are not a point of the curve (arti refuses the address). Random bytes are a point about half
# the time, so draw until the kind asked for comes up.
unpublished_onion() {
    python3 - "$1" <<'EOF'
import base64, hashlib, os, sys
p = 2**255 - 19
d = -121665 * pow(121666, p - 2, p) % p
def is_point(key):
    y = int.from_bytes(key, "little") & ((1 << 255) - 1)
    if y >= p:
        return False
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p) % p
    if x2 == 0:
        return key[31] >> 7 == 0
    return pow(x2, (p - 1) // 2, p) == 1
want = sys.argv[1] == "down"
key = os.urandom(32)
while is_point(key) != want:
    key = os.urandom(32)
check = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
print(base64.b32encode(key + check + b"\x03").decode().lower() + ".onion")
EOF
}

common_torrc() {
    local nick="$1" dir="$2"
    cat <<EOF
TestingTorNetwork 1
DataDirectory $dir
Nickname $nick
RunAsDaemon 0
Log notice file $dir/notice.log
AssumeReachable 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteGuard *
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
Sandbox 0
ShutdownWaitLength 0
EOF
}

relay_torrc() {
    local orport="$1" dirport="$2"
    cat <<EOF
Address 127.0.0.1
ORPort 127.0.0.1:$orport
DirPort 127.0.0.1:$dirport
SocksPort 0
ExitRelay 0
ServerDNSResolvConfFile /dev/null
ServerDNSDetectHijacking 0
EOF
}

# Fingerprint of a relay's RSA identity (creates its keys in its data directory).
rsa_fingerprint() {
    local nick="$1" dir="$2"
    tor --defaults-torrc "$state_empty" -f "$state_empty" --list-fingerprint --DataDirectory "$dir" \
        --ORPort 1 --Nickname "$nick" --Log "err stderr" >/dev/null
    awk '{ print $2 }' "$dir/fingerprint"
}

ed25519_identity() {
    awk '{ print $2 }' "$1/fingerprint-ed25519"
}

launch() {
    local state="$1" name="$2"
    shift 2
    "$@" &
    echo "$! $name" >>"$state/pids"
}

logs() {
    local state="$1" f
    for f in "$state"/nodes/*/notice.log "$state/http.log" "$state/start.log"; do
        [[ -f "$f" ]] || continue
        echo "--- ${f#"$state"/} (last 25 lines)"
        tail -n 25 "$f"
    done
}

# How many relays the consensus file $1 lists as running, stable onion-service directories
# (0 while it does not exist).
consensus_relays() {
    if [[ -f "$1" ]]; then
        grep -c '^s .*HSDir.*Running.*Stable' "$1" || true
    else
        echo 0
    fi
}

json_list() {
    local sep="" item
    printf '['
    for item in "$@"; do
        printf '%s%s' "$sep" "$item"
        sep=", "
    done
    printf ']'
}

# A clean state directory (the previous network there stopped), owned by this start: a `stop`
# from now on finds start.pid and ends this start too.
prepare() {
    local state="$1"
    install
    mkdir -p "$state"
    stop "$state" 2>/dev/null || true
    rm -rf "$state/nodes" "$state/www" "$state"/net.json* "$state/http.log" "$state/bandwidth.txt" \
        "$state/start.log"
    mkdir -p -m 700 "$state/nodes"
    mkdir -p "$state/www"
    : >"$state/pids"
}

start() {
    local state="$1"
    echo "$BASHPID" >"$state/start.pid"
    state_empty="$state/empty.torrc"
    : >"$state_empty"
    local timeout="${TOR_NET_TIMEOUT:-300}" began=$SECONDS

    local n_nodes=$((AUTHORITIES + RELAYS))
    # shellcheck disable=SC2207
    local ports=($(free_ports $((2 * n_nodes + 2))))
    local http_port="${ports[-2]}" socks_port="${ports[-1]}"

    local nicks=() orports=() dirports=() fps=() eds=() v3idents=() i nick dir
    for ((i = 0; i < n_nodes; i++)); do
        if ((i < AUTHORITIES)); then nick="auth$i"; else nick="relay$((i - AUTHORITIES))"; fi
        dir="$state/nodes/$nick"
        mkdir -p -m 700 "$dir" "$dir/keys"
        nicks+=("$nick")
        orports+=("${ports[2 * i]}")
        dirports+=("${ports[2 * i + 1]}")
        fps+=("$(rsa_fingerprint "$nick" "$dir")")
        eds+=("$(ed25519_identity "$dir")")
        if ((i < AUTHORITIES)); then
            echo | tor-gencert --create-identity-key --passphrase-fd 0 -m 12 \
                -a "127.0.0.1:${dirports[i]}" \
                -i "$dir/keys/authority_identity_key" \
                -s "$dir/keys/authority_signing_key" \
                -c "$dir/keys/authority_certificate" >/dev/null 2>&1
            v3idents+=("$(awk '/^fingerprint / { print $2 }' "$dir/keys/authority_certificate")")
        fi
    done

    local dirauths="" bw="$state/bandwidth.txt"
    for ((i = 0; i < AUTHORITIES; i++)); do
        dirauths+="DirAuthority ${nicks[i]} orport=${orports[i]} no-v2 v3ident=${v3idents[i]} 127.0.0.1:${dirports[i]} ${fps[i]}"$'\n'
    done
    date +%s >"$bw"
    for ((i = 0; i < n_nodes; i++)); do
        echo "node_id=\$${fps[i]} bw=1000" >>"$bw"
    done

    for ((i = 0; i < n_nodes; i++)); do
        dir="$state/nodes/${nicks[i]}"
        {
            common_torrc "${nicks[i]}" "$dir"
            relay_torrc "${orports[i]}" "${dirports[i]}"
            printf '%s' "$dirauths"
            if ((i < AUTHORITIES)); then
                cat <<EOF
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
V3AuthVotingInterval 20
V3AuthVoteDelay 4
V3AuthDistDelay 4
TestingV3AuthInitialVotingInterval 20
TestingV3AuthInitialVoteDelay 4
TestingV3AuthInitialDistDelay 4
ConsensusParams hsdir_interval=8
V3BandwidthsFile $bw
AuthDirVoteStableGuaranteeMinUptime 0
AuthDirVoteStableGuaranteeMTBF 0
EOF
            fi
        } >"$dir/torrc"
    done

    # The onion service and the client that checks it (neither is a relay).
    mkdir -p -m 700 "$state/nodes/hs" "$state/nodes/hs/service" "$state/nodes/client"
    {
        common_torrc hs "$state/nodes/hs"
        printf 'SocksPort 0\n%s' "$dirauths"
        echo "HiddenServiceDir $state/nodes/hs/service"
        echo "HiddenServiceVersion 3"
        echo "HiddenServicePort 80 127.0.0.1:$http_port"
    } >"$state/nodes/hs/torrc"
    {
        common_torrc client "$state/nodes/client"
        printf 'SocksPort 127.0.0.1:%s\n%s' "$socks_port" "$dirauths"
    } >"$state/nodes/client/torrc"

    # The fixture server: a plain directory (tests write their pages under www/<test>/), with
    # an access log so tests can tell which pages were fetched.
    launch "$state" http env PYTHONUNBUFFERED=1 python3 -m http.server --bind 127.0.0.1 \
        --directory "$state/www" "$http_port" >"$state/http.log" 2>&1
    for nick in "${nicks[@]}"; do
        launch "$state" "$nick" tor --defaults-torrc "$state_empty" -f "$state/nodes/$nick/torrc" \
            >"$state/nodes/$nick/stdout.log" 2>&1
    done

    local onion="" hostname="$state/nodes/hs/service/hostname"
    fail() {
        local msg="$1" logs_json=() f
        for f in "$state"/nodes/*/notice.log "$state/http.log"; do logs_json+=("\"$f\""); done
        printf '{"error": "%s", "logs": %s}\n' "$msg" "$(json_list "${logs_json[@]}")" \
            >"$state/net.json.tmp"
        mv "$state/net.json.tmp" "$state/net.json"
        echo "tor-net.sh: $msg" >&2
        logs "$state" >&2
        return 1
    }
    # The onion service and the client start once a consensus lists every relay as a running,
    # stable HSDir. Started with the relays, on a loaded machine they met a first consensus of
    # one or two relays and waited out microdescriptor retry schedules and path failures ("No
    # available nodes", "Failed to find node for hop #2/#3") for minutes.
    # Stable matters as much: an onion service's circuits end at a Stable relay, and the one
    # measured relay that had earned Stable by uptime was often the service's own guard, which
    # a relay will not extend back to; the service then failed ~95 % of its circuits and took
    # up to two minutes to publish. The authorities therefore vote Stable for every relay at
    # once (AuthDirVoteStableGuarantee* 0).
    local consensus="$state/nodes/auth0/cached-microdesc-consensus"
    while (($(consensus_relays "$consensus") < n_nodes)); do
        if ((SECONDS - began > timeout)); then
            fail "no consensus listing all $n_nodes relays as stable HSDirs after ${timeout}s"
            return 1
        fi
        sleep 0.5
    done
    echo "tor-net.sh: a consensus lists all $n_nodes relays as stable HSDirs after $((SECONDS - began)) s" >&2
    for nick in hs client; do
        launch "$state" "$nick" tor --defaults-torrc "$state_empty" -f "$state/nodes/$nick/torrc" \
            >"$state/nodes/$nick/stdout.log" 2>&1
    done
    while [[ ! -s "$hostname" ]]; do
        if ((SECONDS - began > timeout)); then fail "no onion address after ${timeout}s"; return 1; fi
        sleep 0.5
    done
    onion="$(cat "$hostname")"
    # Ready when a C tor client fetches the service's root page through the network.
    while true; do
        local code
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
            --socks5-hostname "127.0.0.1:$socks_port" "http://$onion/" || true)"
        [[ "$code" == 200 ]] && break
        if ((SECONDS - began > timeout)); then
            fail "the onion service did not answer within ${timeout}s"
            return 1
        fi
        sleep 2
    done

    local auth_json=() fallback_json=() log_json=()
    for ((i = 0; i < AUTHORITIES; i++)); do auth_json+=("\"${v3idents[i]}\""); done
    for ((i = 0; i < n_nodes; i++)); do
        fallback_json+=("{\"rsa_identity\": \"${fps[i]}\", \"ed_identity\": \"${eds[i]}\", \"orports\": [\"127.0.0.1:${orports[i]}\"]}")
    done
    for nick in "${nicks[@]}" hs client; do log_json+=("\"$state/nodes/$nick/notice.log\""); done
    log_json+=("\"$state/http.log\"")
    cat >"$state/net.json.tmp" <<EOF
{
  "authorities": $(json_list "${auth_json[@]}"),
  "fallbacks": $(json_list "${fallback_json[@]}"),
  "onion": "$onion",
  "unpublished_onion": "$(unpublished_onion down)",
  "not_a_key_onion": "$(unpublished_onion not_a_key)",
  "www_dir": "$state/www",
  "http_port": $http_port,
  "access_log": "$state/http.log",
  "client_socks": "127.0.0.1:$socks_port",
  "logs": $(json_list "${log_json[@]}"),
  "ready_after_s": $((SECONDS - began))
}
EOF
    mv "$state/net.json.tmp" "$state/net.json"
    rm -f "$state/start.pid"
    echo "tor-net.sh: private Tor network ready in $((SECONDS - began)) s: $state/net.json" >&2
}

# Whether process $1 is still one we started (its command line names $state), not a reused pid.
ours() {
    local pid="$1" state="$2"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -e "$state" -e tor-net.sh
}

stop() {
    local state="$1" pid name
    if [[ -f "$state/start.pid" ]]; then
        pid="$(cat "$state/start.pid")"
        if [[ "$pid" != "$BASHPID" ]] && ours "$pid" "$state"; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$state/start.pid"
    fi
    if [[ -f "$state/pids" ]]; then
        while read -r pid name; do
            if ours "$pid" "$state"; then
                kill "$pid" 2>/dev/null || true
            fi
        done <"$state/pids"
        # Give them 3 s to exit cleanly, then SIGKILL: a tor 0.4.9 authority can hang on exit
        # ("Catching signal TERM, exiting cleanly", then blocked on a futex).
        local tries alive
        for tries in $(seq 1 31); do
            alive=0
            while read -r pid name; do
                if ours "$pid" "$state"; then
                    alive=1
                    if ((tries == 31)); then kill -9 "$pid" 2>/dev/null || true; fi
                fi
            done <"$state/pids"
            ((alive)) || break
            sleep 0.1
        done
        rm -f "$state/pids"
    fi
}

cmd="${1:-}"
dir="$(state_dir "${2:-}")"
case "$cmd" in
    install) install ;;
    start)
        prepare "$dir"
        start "$dir"
        ;;
    background)
        # start.pid is written before this returns, so a `stop` right after still ends it all.
        prepare "$dir"
        start "$dir" >>"$dir/start.log" 2>&1 &
        echo "$!" >"$dir/start.pid"
        ;;
    stop) stop "$dir" ;;
    logs) logs "$dir" ;;
    *)
        echo "usage: $0 install|start|background|stop|logs [DIR]" >&2
        exit 2
        ;;
esac
