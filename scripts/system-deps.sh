#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real: headless Chromium (the report
# site is tested in a browser), shellcheck (emitted job scripts are linted) and Slurm with
# munge (plans run on a single-node cluster the tests start on localhost).
# Does nothing when they are already present; needs root (or sudo) otherwise.
set -euo pipefail
# Daemons live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v shellcheck >/dev/null 2>&1 || packages+=(shellcheck)
command -v munged >/dev/null 2>&1 || packages+=(munge)
command -v slurmctld >/dev/null 2>&1 || packages+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || packages+=(slurmd)
command -v sbatch >/dev/null 2>&1 || packages+=(slurm-client)
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
