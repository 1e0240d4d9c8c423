#!/usr/bin/env bash
# Installs the real OpenStack clients the end-to-end tests drive, and qemu-img for the
# image_conversion import plugin (Debian packages).
set -euo pipefail
missing=()
command -v glance >/dev/null || missing+=(python3-glanceclient)
/usr/bin/python3 -c 'import openstack' 2>/dev/null || missing+=(python3-openstacksdk)
command -v openstack >/dev/null || missing+=(python3-openstackclient)
command -v qemu-img >/dev/null || missing+=(qemu-utils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/install-clients.sh: need ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "scripts/install-clients.sh: installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
glance --version >/dev/null
echo "scripts/install-clients.sh: python-glanceclient $(glance --version 2>&1) is installed"
