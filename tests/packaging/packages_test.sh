#!/usr/bin/env bash
# Builds the packages and checks them: lintian (errors fail), the rpms'
# file lists and headers, and the amd64 .deb unpacked into a scratch root
# whose binary must answer --version and --help.
#
#   packages_test.sh SOURCE_DIR DEV_BINARY
#
# Packages the release binaries (dist/ssm-reach-V-linux-*) when they exist,
# else DEV_BINARY as the x86_64 binary.
set -euo pipefail
src=$1 dev_binary=$2
version=$(sed -n 's/^project(ssm-reach VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

args=(--out "$work/out")
if [ ! -f "$src/dist/ssm-reach-$version-linux-x86_64" ]; then
  args+=(--binary-x86_64 "$dev_binary")
fi
mapfile -t built < <("$src/packaging/packages" "${args[@]}")
echo "built: ${built[*]}"
debs=() rpms=()
for p in "${built[@]}"; do
  case $p in *.deb) debs+=("$p") ;; *.rpm) rpms+=("$p") ;; esac
done
((${#debs[@]} > 0 && ${#rpms[@]} > 0)) || fail "expected at least one .deb and one .rpm"

# lintian: errors fail; warnings are shown. Overrides (static binary,
# embedded libraries) are in packaging/debian/lintian-overrides.
for deb in "${debs[@]}"; do
  rc=0
  report=$(lintian --fail-on error --suppress-tags unused-override "$deb" 2>&1) || rc=$?
  grep -v 'running with root privileges' <<<"$report" || true
  ((rc == 0)) || fail "lintian errors in $deb"
done

expected_common="/usr/bin/ssm-reach
/usr/lib/systemd/system/ssm-reach-boot.service
/usr/lib/systemd/system/ssm-reach-check.service
/usr/lib/systemd/system/ssm-reach-check.timer
/usr/share/doc/ssm-reach/examples/ssm-reach.rules.yml
/usr/share/doc/ssm-reach/README.md
/usr/share/man/man1/ssm-reach.1.gz"
for rpm in "${rpms[@]}"; do
  files=$(rpm -qpl "$rpm" 2>/dev/null)
  while read -r f; do
    grep -qx "$f" <<<"$files" || fail "$rpm lacks $f"
  done <<<"$expected_common
/usr/share/licenses/ssm-reach/COPYRIGHT"
  info=$(rpm -qpi "$rpm" 2>/dev/null)
  arch=${rpm%.rpm}; arch=${arch##*.}
  grep -q "^Name *: ssm-reach$" <<<"$info" || fail "$rpm: Name"
  grep -q "^Version *: $version$" <<<"$info" || fail "$rpm: Version"
  grep -q "^Architecture: $arch$" <<<"$info" || fail "$rpm: Architecture $arch"
  grep -q "^License *: .*Apache-2.0" <<<"$info" || fail "$rpm: License"
  scripts=$(rpm -qp --scripts "$rpm" 2>/dev/null)
  grep -q "systemctl --no-reload enable ssm-reach-boot.service" <<<"$scripts" || fail "$rpm: %post enables"
  if grep -Eq "systemctl .*(start|restart)" <<<"$scripts"; then fail "$rpm: a scriptlet starts a unit"; fi
  # The periodic check is installed disabled.
  if grep -Eq "systemctl .*enable.*ssm-reach-check" <<<"$scripts"; then fail "$rpm: %post enables the timer"; fi
  echo "ok: $rpm"
done

for deb in "${debs[@]}"; do
  files=$(dpkg-deb -c "$deb" | awk '{print substr($6, 2)}')
  while read -r f; do
    grep -qx "$f" <<<"$files" || fail "$deb lacks $f"
  done <<<"$expected_common
/usr/share/doc/ssm-reach/copyright"
  if dpkg-deb -I "$deb" postinst | grep -Eq "(systemctl|deb-systemd-invoke) .*start"; then
    fail "$deb: postinst starts a unit"
  fi
  if dpkg-deb -I "$deb" postinst | grep -v '^ *#' | grep -q "ssm-reach-check"; then
    fail "$deb: postinst touches the periodic check, which is installed disabled"
  fi
  echo "ok: $deb"
done

amd64=$(printf '%s\n' "${debs[@]}" | grep _amd64.deb) || fail "no amd64 .deb"
dpkg-deb -x "$amd64" "$work/root"
"$work/root/usr/bin/ssm-reach" --version | grep -qx "ssm-reach $version" || fail "--version"
"$work/root/usr/bin/ssm-reach" --help | grep -q -- "--no-auth" || fail "--help"
copyright="$work/root/usr/share/doc/ssm-reach/copyright"
for notice in "License: curl" "bundled/c-ares" "bundled/openssl" "bundled/glibc" \
  "GCC-Runtime-Library-Exception" "bundled/CLI11" "bundled/nlohmann-json"; do
  grep -q "$notice" "$copyright" || fail "copyright lacks $notice"
done
echo "ok: installed binary answers --version and --help"
