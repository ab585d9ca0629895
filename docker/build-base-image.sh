#!/usr/bin/env bash
# Build the base image debian:trixie-slim from Debian's archive with debootstrap, for hosts
# that cannot reach an image registry (air-gapped clusters). Needs root, debootstrap, docker.
#
#   docker/build-base-image.sh [--force]
#
# DEBIAN_MIRROR  the mirror (default: the one apt already uses here, else deb.debian.org)
# BASE_TAG       the tag to create (default debian:trixie-slim)
# SSL_CERT_FILE  when set, this CA bundle goes into the image as /etc/ssl/host-ca.pem and
#                pip is told to trust it (/etc/pip.conf), for TLS-intercepting proxies.
#                The Dockerfile does not change.
set -euo pipefail
tag=${BASE_TAG:-debian:trixie-slim}
suite=${tag#*:}; suite=${suite%-slim}
if [ "${1:-}" != "--force" ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "build-base-image: $tag exists (use --force to rebuild)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "build-base-image: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
           | grep -v security | grep -oE 'https?://[^ ]+' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
root=$(mktemp -d /tmp/swellfem-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "build-base-image: debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >/tmp/swellfem-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/swellfem-debootstrap.log >&2; exit 1; }
printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$mirror" "$suite" "$suite" > "$root/etc/apt/sources.list.d/debian.sources"
rm -f "$root/etc/apt/sources.list"
if [ -n "${SSL_CERT_FILE:-}" ] && [ -f "$SSL_CERT_FILE" ]; then
  mkdir -p "$root/etc/ssl"
  cp "$SSL_CERT_FILE" "$root/etc/ssl/host-ca.pem"
  printf '[global]\ncert = /etc/ssl/host-ca.pem\n' > "$root/etc/pip.conf"
  echo "build-base-image: carried the host CA bundle ($SSL_CERT_FILE) into the image"
fi
apt-get clean >/dev/null 2>&1 || true
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import - "$tag" >/dev/null
echo "build-base-image: created $tag"
