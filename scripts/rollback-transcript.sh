#!/usr/bin/env bash
# Prints the README's rollback transcript from a real run: nftlens applies a policy in a throwaway
# network namespace, then applies a changed one while a foreign writer strikes between nftlens's
# write and its read-back (an `nft` wrapper first on PATH deletes one rule right after nftlens's
# batch went in, once). The verification fails, the previous state is restored in one transaction
# and verified, and `verify` then finds the kernel holding the first policy.
# Run as root from anywhere, after `npm run build`: bash scripts/rollback-transcript.sh [NETNS]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ns=${1:-gw-demo}
nft_bin=$(command -v nft)
if ip netns list | grep -qx "$ns\( (id: [0-9]*)\)\?"; then
  echo "network namespace $ns exists already: name another one (bash $0 NAME)" >&2
  exit 2
fi
work=$(mktemp -d)
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

cp "$repo/examples/provider-protect-single-consumer.yaml" policy.yaml
sed 's/value: 10\.42\.3\.9$/value: 10.42.3.10/' policy.yaml > changed.yaml
mkdir interfere
cat > interfere/nft <<EOF
#!/bin/bash
# A foreign writer: right after nftlens's write batch went in, and before nftlens reads the
# table back, it deletes the last rule, allow-10-42-3-9-to-venice (once).
"$nft_bin" "\$@" || exit \$?
if [ "\$1" = -j ] && [ "\$2" = -f ] && grep -q '"add"' "\$3" && [ ! -e "$work/struck" ]; then
  touch "$work/struck"
  h=\$("$nft_bin" -a list chain ip provider-protection-venice offloaded-pods-only | awk '/allow-10-42-3-9-to-venice/ { print \$NF }')
  "$nft_bin" delete rule ip provider-protection-venice offloaded-pods-only handle "\$h"
fi
EOF
chmod +x interfere/nft

nftlens() { node "$repo/bin/nftlens.js" "$@"; }
# Prints `$ COMMAND` as typed, then runs it; the exit code goes to $rc.
rc=0
show() {
  local shown=$1
  shift
  printf '$ %s\n' "$shown"
  set +e
  "$@" 2>&1
  rc=$?
  set -e
}

show "nftlens apply -f policy.yaml --netns $ns" nftlens apply -f policy.yaml --netns "$ns"
show "diff policy.yaml changed.yaml" diff policy.yaml changed.yaml
show "cat interfere/nft" sed "s#$work#/tmp/demo#g" interfere/nft
show "PATH=\$PWD/interfere:\$PATH nftlens apply -f changed.yaml --netns $ns" env PATH="$work/interfere:$PATH" node "$repo/bin/nftlens.js" apply -f changed.yaml --netns "$ns"
printf '$ echo $?\n%s\n' "$rc"
show "nftlens verify -f policy.yaml --netns $ns" nftlens verify -f policy.yaml --netns "$ns"
printf '$ echo $?\n%s\n' "$rc"
