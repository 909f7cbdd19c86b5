#!/usr/bin/env bash
# deps.sh -- installs, with apt, what building and testing informer needs on
# Debian 12, when something is missing.  Run as root (or with sudo on PATH).
set -euo pipefail

PACKAGES=(make gcc postgresql-15 postgresql-server-dev-15 postgresql-15-cron
          libopenblas-dev libxml2-utils xz-utils clang-14 libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_opts=(-o DPkg::Lock::Timeout=600 -qq)
$sudo apt-get "${apt_opts[@]}" update
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${apt_opts[@]}" install -y "${missing[@]}" >/dev/null
