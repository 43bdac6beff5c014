#!/usr/bin/env bash
# Installs the system tools the kernel and Kubernetes tests use (nft, ip, tcpreplay, tcpdump, conntrack,
# kubectl) when they are missing and this runs as root on Debian; otherwise says what is missing and
# goes on (those tests then skip with the reason, except in CI where they fail).
set -euo pipefail
declare -A pkg=([nft]=nftables [ip]=iproute2 [tcpreplay]=tcpreplay [tcpdump]=tcpdump [conntrack]=conntrack [kubectl]=kubectl)
need=()
for bin in "${!pkg[@]}"; do command -v "$bin" >/dev/null 2>&1 || need+=("${pkg[$bin]}"); done
((${#need[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "nftlens: installing ${need[*]} (used by the kernel and Kubernetes tests)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "nftlens: missing ${need[*]}; the tests that need them will be skipped (run as root on Debian to install them)" >&2
fi
