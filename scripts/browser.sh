#!/usr/bin/env bash
# The browser for the dashboard test (tests/dashboard_browser.rs): Debian's chromium and
# chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver).
#
#   scripts/browser.sh install    apt-get install them unless both are there
set -euo pipefail

install() {
    if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
        return 0
    fi
    echo "browser.sh: installing Debian's chromium and chromium-driver (apt-get)" >&2
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y --no-install-recommends chromium chromium-driver >&2 ||
        { "${sudo[@]}" apt-get update >&2 &&
            "${sudo[@]}" apt-get install -y --no-install-recommends chromium chromium-driver >&2; }
}

case "${1:-}" in
    install) install ;;
    *) echo "usage: $0 install" >&2; exit 2 ;;
esac
