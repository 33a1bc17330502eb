#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real: headless Chromium (the report
# site is tested in a browser) and shellcheck (emitted job scripts are linted).
# Does nothing when they are already present; needs root (or sudo) otherwise.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v shellcheck >/dev/null 2>&1 || packages+=(shellcheck)
[ ${#packages[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${packages[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "system-deps: installing ${packages[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
  "${packages[@]}" >/dev/null
