#!/usr/bin/env bash
# Installs the Debian packages stylist's tests and --render use (Chromium, ffmpeg, redis-server), when missing.
# Chromium comes from Debian (never from Playwright's own download, which closed networks refuse).
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || packages+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || packages+=(ffmpeg)
# The Redis-backed job queue is tested against a real server.
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)

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
