#!/bin/sh
# Installs ssm-reach from the package in DIR (default /tmp/ssm-reach) that
# fits this distribution and CPU: the .rpm with dnf or yum (Amazon Linux
# 2023, Amazon Linux 2, RHEL), else the .deb with apt (Ubuntu, Debian).
# The package enables ssm-reach-boot.service; this makes sure, and does not
# start it: the image's first boot runs it.
set -eu
dir=${1:-/tmp/ssm-reach}
case $(uname -m) in
  x86_64) rpm_arch=x86_64 deb_arch=amd64 ;;
  aarch64) rpm_arch=aarch64 deb_arch=arm64 ;;
  *) echo "ssm-reach: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
if command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  set -- "$dir"/ssm-reach-*."$rpm_arch".rpm
  [ -f "$1" ] || { echo "ssm-reach: no .$rpm_arch.rpm in $dir" >&2; exit 1; }
  if command -v dnf >/dev/null 2>&1; then dnf install -y "$1"; else yum install -y "$1"; fi
else
  set -- "$dir"/ssm-reach_*_"$deb_arch".deb
  [ -f "$1" ] || { echo "ssm-reach: no _$deb_arch.deb in $dir" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$1"
fi
systemctl enable ssm-reach-boot.service
/usr/bin/ssm-reach --version
