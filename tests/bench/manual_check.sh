#!/usr/bin/env bash
# The manual way (benchmark part 3): what a careful admin types on the
# instance when the SSM agent is offline, as one script: IMDSv2 for the
# region, then per endpoint a DNS lookup (dig), a TCP check on 443 and a TLS
# handshake with certificate verification (openssl s_client), one after the
# other, each bounded by the same timeout ssm-reach gets. It checks less
# than ssm-reach (no HTTP answer, no signed call, only the first address's
# TLS), so its time is a lower bound for doing the same by hand.
#
#   manual_check.sh TIMEOUT_S CA_FILE SERVICE...
#
# Prints one line per check ("ok" or "FAIL"); exit 0 when all passed. The
# IMDS token stays in a variable and is never printed.
set -uo pipefail
timeout_s=$1 ca_file=$2
shift 2
failed=0
# check NAME COMMAND...: run it, print NAME: ok or NAME: FAIL.
check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then echo "$name: ok"; else echo "$name: FAIL"; failed=1; fi
}

imds() { curl -sS -m "$timeout_s" "$@"; }
if token=$(imds -X PUT http://169.254.169.254/latest/api/token \
  -H "X-aws-ec2-metadata-token-ttl-seconds: 60" 2>/dev/null); then
  echo "imds token: ok"
else
  echo "imds token: FAIL"
  failed=1
fi
if region=$(imds -H "X-aws-ec2-metadata-token: $token" \
  http://169.254.169.254/latest/meta-data/placement/region 2>/dev/null); then
  echo "imds region: ok"
else
  echo "imds region: FAIL"
  exit 1
fi
unset token

for service in "$@"; do
  host=$service.$region.amazonaws.com
  addresses=$(dig +short +time="$timeout_s" +tries=1 A "$host" | grep -E '^[0-9.]+$')
  if [ -z "$addresses" ]; then
    echo "$host dns: FAIL"
    failed=1
    continue
  fi
  echo "$host dns: ok"
  for address in $addresses; do
    check "$host $address tcp" timeout "$timeout_s" bash -c ":</dev/tcp/$address/443"
  done
  check "$host tls" timeout "$timeout_s" openssl s_client -connect "$host:443" \
    -servername "$host" -CAfile "$ca_file" -verify_return_error -brief </dev/null
done
exit "$failed"
