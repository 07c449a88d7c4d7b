#!/usr/bin/env bash
# Builds the collabblocks image where no container registry is reachable: the
# node:20-slim stand-in is made from the Debian mirror apt already uses, plus this
# host's Node 20 (Debian bookworm's own nodejs is 18, and nodejs.org is not
# reachable here). Installs nothing: it needs podman and mmdebstrap (Debian:
# apt-get install podman runc podman-compose mmdebstrap; docs/DEPLOY.md has the
# containers.conf this host needs).
#   deploy/container/build-local.sh            # base (once) + image
#   IMAGE=collabblocks:test REBUILD_BASE=1 deploy/container/build-local.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=${IMAGE:-localhost/collabblocks:latest}
BASE=${BASE:-localhost/collabblocks-node-base:20-bookworm}

for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-local: $tool not found (apt-get install $tool)" >&2; exit 1; }
done

if [ "${REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$BASE"; then
  node_bin=$(readlink -f "$(command -v node)")
  node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
  [ "$node_major" = 20 ] || { echo "build-local: host node is v$node_major; the image needs Node 20" >&2; exit 1; }
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  # The mirrors apt is configured with (deb822 or one-line), so the base comes
  # from wherever this host is allowed to fetch packages. MIRRORS overrides.
  if [ -z "${MIRRORS:-}" ]; then
    MIRRORS=""
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [ -s "$f" ] && grep -q 'debian' "$f" && MIRRORS="$MIRRORS $f"
    done
    MIRRORS=${MIRRORS:-http://deb.debian.org/debian}
  fi
  # The CAs this host added (e.g. a TLS-intercepting egress proxy's): without them
  # npm ci inside the build fails with SELF_SIGNED_CERT_IN_CHAIN. Only this local
  # base carries them; node:20-slim builds do not.
  ca_hooks=()
  if [ -n "$(ls -A /usr/local/share/ca-certificates 2>/dev/null)" ]; then
    ca_hooks=(--customize-hook="copy-in /usr/local/share/ca-certificates /usr/local/share"
      --customize-hook='chroot "$1" update-ca-certificates >/dev/null')
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "build-local: base $BASE from $MIRRORS with node $("$node_bin" -v) ($node_bin) and npm ($npm_dir)"
  # minbase + the C++ runtime node links against (ldd: libstdc++6, libgcc-s1, libc6)
  # and CA certificates for npm and TLS JWKS URLs. copy-in puts node and npm where
  # node:20-slim has them, so the Containerfile cannot tell the two bases apart.
  # shellcheck disable=SC2086 # MIRRORS is a list of arguments
  mmdebstrap --variant=minbase --include=libstdc++6,ca-certificates \
    --customize-hook='mkdir -p "$1/usr/local/lib/node_modules"' \
    --customize-hook="copy-in $node_bin /usr/local/bin" \
    --customize-hook="copy-in $npm_dir /usr/local/lib/node_modules" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
    "${ca_hooks[@]}" \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/var/lib/apt/lists/*' \
    bookworm "$work/rootfs.tar" $MIRRORS
  # Node ignores the system store unless told; npm and the JWKS fetch then trust it too.
  podman import --change 'CMD ["node"]' --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    "$work/rootfs.tar" "$BASE"
fi

podman build --format docker --build-arg BASE="$BASE" -f deploy/container/Containerfile -t "$IMAGE" .
podman image ls "$IMAGE"

# Redis and Prometheus for deploy/compose, from the same base (docker.io is out of reach).
DEPS_IMAGE=${DEPS_IMAGE:-localhost/collabblocks-deps:bookworm}
if [ "${REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$DEPS_IMAGE"; then
  podman build --build-arg BASE="$BASE" -f deploy/container/deps-local.Containerfile -t "$DEPS_IMAGE" .
fi
