#!/usr/bin/env bash
# systemd-analyze verify on ssm-reach-check.timer and its service, with
# ExecStart pointed at a real copy of the binary (as unit_verify.sh does),
# and the promises README "Monitoring a fleet" makes: every 5 minutes, the
# textfile in node_exporter's directory, 1 and 2 are results (not failures),
# the only place it writes is that directory, and its command line works.
#
#   check_timer_verify.sh SERVICE_FILE TIMER_FILE BINARY
set -euo pipefail
service=$1 timer=$2 binary=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp "$binary" "$work/ssm-reach"
sed "s|^ExecStart=/usr/bin/ssm-reach |ExecStart=$work/ssm-reach |" "$service" >"$work/ssm-reach-check.service"
grep -q "^ExecStart=$work/ssm-reach --textfile " "$work/ssm-reach-check.service" || fail "ExecStart not rewritten"
cp "$timer" "$work/ssm-reach-check.timer"
out=$(cd "$work" && systemd-analyze verify --man=no ssm-reach-check.timer ssm-reach-check.service 2>&1) ||
  fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"

for line in OnBootSec=2min OnUnitActiveSec=5min WantedBy=timers.target; do
  grep -qx -- "$line" "$timer" || fail "timer: missing $line"
done
for line in Type=oneshot "SuccessExitStatus=1 2" ProtectSystem=strict NoNewPrivileges=yes \
  CapabilityBoundingSet= ReadWritePaths=-/var/lib/prometheus/node-exporter \
  "ExecStart=/usr/bin/ssm-reach --textfile /var/lib/prometheus/node-exporter/ssm_reach.prom"; do
  grep -qx -- "$line" "$service" || fail "service: missing $line"
done
# The service is started by the timer only: it has no [Install] of its own.
if grep -q '^\[Install\]' "$service"; then fail "the service has an [Install] section"; fi
# The unit's own command line, with the textfile moved here, run in an empty
# network namespace (nothing answers; no region from IMDS, so one is given):
# its flags parse and it writes a textfile promtool accepts.
flags=$(sed -n 's|^ExecStart=/usr/bin/ssm-reach ||p' "$service" |
  sed "s|/var/lib/prometheus/node-exporter/|$work/|")
rc=0
# shellcheck disable=SC2086  # the unit's words, split as systemd splits them
unshare -rn "$binary" $flags --no-imds --region us-east-1 --timeout 0.2 --deadline 1 \
  --no-auth >"$work/report.txt" 2>&1 || rc=$?
((rc == 2)) || fail "the unit's command exited $rc, expected 2 (nothing reachable): $(cat "$work/report.txt")"
[ -f "$work/ssm_reach.prom" ] || fail "the unit's command wrote no textfile"
promtool check metrics <"$work/ssm_reach.prom" || fail "promtool check metrics rejects the textfile"
grep -qx 'ssm_reach_status 2' "$work/ssm_reach.prom" || fail "the textfile lacks ssm_reach_status 2"
echo "ok: the timer and its service verify; every 5 minutes, installed disabled"
