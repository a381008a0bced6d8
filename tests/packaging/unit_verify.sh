#!/usr/bin/env bash
# systemd-analyze verify on ssm-reach-boot.service, with ExecStart pointed
# at a real copy of the binary (the package's /usr/bin/ssm-reach is not
# installed here) and man page lookups off (ssm-reach(1) is not installed
# either). Also checks the properties the boot check promises.
#
#   unit_verify.sh UNIT_FILE BINARY
set -euo pipefail
unit=$1 binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp "$binary" "$work/ssm-reach"
sed "s|^ExecStart=/usr/bin/ssm-reach |ExecStart=$work/ssm-reach |" "$unit" >"$work/ssm-reach-boot.service"
grep -q "^ExecStart=$work/ssm-reach --boot$" "$work/ssm-reach-boot.service" || fail "ExecStart not rewritten"
out=$(systemd-analyze verify --man=no "$work/ssm-reach-boot.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

for line in Type=oneshot RemainAfterExit=yes Wants=network-online.target After=network-online.target \
  "ExecStart=/usr/bin/ssm-reach --boot" StandardOutput=journal+console StandardError=journal \
  TimeoutStartSec=120 LogsDirectory=ssm-reach ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  NoNewPrivileges=yes CapabilityBoundingSet= WantedBy=multi-user.target; do
  grep -qx -- "$line" "$unit" || fail "missing $line"
done
# Never delay the agent: no ordering against it at all.
if grep -E '^(Before|After|Requires|Wants|RequiredBy|Conflicts)=.*amazon-ssm-agent' "$unit"; then
  fail "the unit orders against amazon-ssm-agent"
fi
echo "ok: systemd-analyze verify is clean"
