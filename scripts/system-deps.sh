#!/usr/bin/env bash
# Installs the Debian packages stylist's tests and --render use (Chromium, ffmpeg, PostgreSQL), when missing.
# Chromium comes from Debian (never from Playwright's own download, which closed networks refuse).
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || packages+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || packages+=(ffmpeg)
# The queue and the records are tested on a real PostgreSQL server too, which the tests start themselves
# (initdb in a temporary folder): Debian keeps its programs in /usr/lib/postgresql/<version>/bin.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || packages+=(postgresql)

if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: cannot install ${packages[*]} (no apt-get); tests that need them will be skipped" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing system packages: ${packages[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
