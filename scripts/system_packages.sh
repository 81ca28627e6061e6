#!/usr/bin/env bash
# Install Debian packages the project uses, when this machine can (root, or sudo without a password).
# Usage: scripts/system_packages.sh PACKAGE...   Already-installed packages are skipped; without root or
# sudo it prints what to install and returns 0 (the app still runs: sound falls back to sine waves,
# and the browser and class-server steps say what they miss).
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Not installing Debian packages (needs root or sudo): ${missing[*]}" >&2
    exit 0
  fi
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
