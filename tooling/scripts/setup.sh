#!/usr/bin/env bash
# Installs what c's build and tests need on a fresh Debian machine with Node 20+ (run as root):
# Debian's real peers for the integration tests, pnpm, the locked npm dependencies, and a build.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Debian packages the tests drive: a real registry, a static busybox for base images, skopeo/umoci to cross-check,
# runc/crun as reference runtimes, htpasswd for registry auth, openssl for the token-auth registry's keys.
APT_PACKAGES=(docker-registry busybox-static skopeo umoci runc crun podman containerd apache2-utils openssl zstd iproute2 nftables procps util-linux curl python3 debootstrap)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the packaged registry as a service on :5000; the tests run their own on loopback ports.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi

PNPM_VERSION=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm turbo run build --output-logs=errors-only
