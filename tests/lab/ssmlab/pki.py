"""The lab's test PKI, generated with `cryptography` once per build directory.

Layout of the PKI directory:
  root-ca.pem            the lab's trust anchor (give it to ssm-reach)
  inspection-ca.pem      a corporate TLS-inspection CA, trusted by nobody
  <kind>-<name>.pem      a server chain (leaf, then its issuing CA)
  <kind>-<name>.key      its private key
  manifest.json          what was generated, and until when it stays usable

Kinds served by the TLS peers:
  valid          leaf for one service name (and its endpoints' vpce names),
                 issued by the lab's issuing CA
  wrong-host     leaf for www.example.test (the name leads to the wrong service)
  expired        leaf for every service name, notAfter in the past
  not-yet-valid  leaf for every service name, notBefore in the future
  inspection     leaf for every service name, issued by the inspection CA
  self-signed    self-signed leaf for every service name

Usage: python3 -m ssmlab.pki DIR   (idempotent; concurrent callers wait on a lock)
"""

import datetime
import fcntl
import json
import os
import sys

from . import plan

# `cryptography` is imported only when generating (_crypto()): every test
# calls ensure(), and nearly always the PKI is already there.
x509 = hashes = serialization = ec = ExtendedKeyUsageOID = NameOID = None


def _crypto():
    global x509, hashes, serialization, ec, ExtendedKeyUsageOID, NameOID
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Bump when the layout or the certificates change: old directories regenerate.
LAYOUT_VERSION = 5
LIFETIME = datetime.timedelta(days=90)
BROKEN_KINDS = ("expired", "not-yet-valid", "inspection", "self-signed")
ROOT_CA_NAME = "ssm-reach Lab Root CA"
ISSUING_CA_NAME = "ssm-reach Lab Issuing CA 01"


def _name(common_name, org="ssm-reach lab"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key():
    # P-256: instant to generate, accepted by every TLS 1.2+ client.
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject, key, issuer, issuer_key, not_before, not_after, ca, sans=()):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path, data, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class Pki:
    """Paths into a generated PKI directory."""

    def __init__(self, directory):
        self.directory = os.path.abspath(directory)

    @property
    def ca_file(self):
        """The bundle ssm-reach must trust (the lab root only)."""
        return os.path.join(self.directory, "root-ca.pem")

    @property
    def inspection_ca_file(self):
        return os.path.join(self.directory, "inspection-ca.pem")

    def server_files(self, kind, service=None, region=plan.REGION):
        """(chain file, key file) that a TLS peer serves for `kind`.

        `valid` needs the service whose name the leaf covers; the other kinds
        cover every service name (or none, for wrong-host).
        """
        if kind == "valid":
            stem = "valid-" + plan.host(service, region)
        elif kind == "wrong-host":
            stem = "wrong-host-" + plan.WRONG_HOST
        elif kind in BROKEN_KINDS:
            stem = kind + "-" + region
        else:
            raise ValueError("unknown certificate kind %r" % kind)
        base = os.path.join(self.directory, stem)
        if not os.path.exists(base + ".pem"):
            raise FileNotFoundError("no certificate %s.pem (region %s not generated?)" % (base, region))
        return base + ".pem", base + ".key"


def _generate(directory, regions):
    _crypto()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = now - datetime.timedelta(days=1)
    end = now + LIFETIME + datetime.timedelta(days=30)

    root_key = _key()
    root = _cert(_name(ROOT_CA_NAME), root_key, _name(ROOT_CA_NAME), root_key, start, end, ca=True)
    issuing_key = _key()
    issuing = _cert(_name(ISSUING_CA_NAME), issuing_key, root.subject, root_key, start, end, ca=True)
    inspection_key = _key()
    inspection_name = _name(plan.INSPECTION_CA_NAME, org="Contoso Ltd")
    inspection = _cert(inspection_name, inspection_key, inspection_name, inspection_key,
                       start, end, ca=True)
    _write(os.path.join(directory, "root-ca.pem"), _pem(root))
    _write(os.path.join(directory, "inspection-ca.pem"), _pem(inspection))

    def leaf(stem, names, issuer_cert, issuer_key, chain, not_before=start, not_after=end,
             self_signed=False):
        key = _key()
        subject = _name(names[0], org="Amazon.com, Inc." if not self_signed else "self")
        if self_signed:
            cert = _cert(subject, key, subject, key, not_before, not_after, ca=False, sans=names)
        else:
            cert = _cert(subject, key, issuer_cert.subject, issuer_key, not_before, not_after,
                         ca=False, sans=names)
        _write(os.path.join(directory, stem + ".pem"), _pem(cert) + b"".join(_pem(c) for c in chain))
        _write(os.path.join(directory, stem + ".key"), _key_pem(key), 0o600)

    leaf("wrong-host-" + plan.WRONG_HOST, [plan.WRONG_HOST], issuing, issuing_key, [issuing])
    for region in regions:
        services = plan.SERVICES + plan.EXTRA_SERVICES
        names = [plan.host(s, region) for s in services]
        for service, name in zip(services, names):
            # One certificate per service for all its names: standard,
            # dual-stack and FIPS, and its interface endpoints' own names.
            leaf("valid-" + name, plan.all_hosts(service, region)
                 + [plan.vpce_wildcard(service, region)], issuing, issuing_key, [issuing])
        leaf("expired-" + region, names, issuing, issuing_key, [issuing],
             not_before=now - datetime.timedelta(days=400), not_after=now - datetime.timedelta(days=30))
        leaf("not-yet-valid-" + region, names, issuing, issuing_key, [issuing],
             not_before=now + datetime.timedelta(days=30), not_after=now + datetime.timedelta(days=400))
        leaf("inspection-" + region, names, inspection, inspection_key, [inspection])
        leaf("self-signed-" + region, names, None, None, [], self_signed=True)

    manifest = {
        "layout": LAYOUT_VERSION,
        "regions": sorted(regions),
        "generated": now.isoformat(),
        "usable_until": (now + LIFETIME).isoformat(),
    }
    _write(os.path.join(directory, "manifest.json"), json.dumps(manifest, indent=2).encode())


def _is_current(directory, regions):
    try:
        with open(os.path.join(directory, "manifest.json")) as f:
            manifest = json.load(f)
        until = datetime.datetime.fromisoformat(manifest["usable_until"])
    except (OSError, ValueError, KeyError):
        return False
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        manifest.get("layout") == LAYOUT_VERSION
        and set(regions) <= set(manifest.get("regions", []))
        and until > now
    )


def ensure(directory, regions=plan.LAB_REGIONS):
    """Generate the PKI in `directory` unless a current one is there.

    Safe to call from many processes at once: they serialise on a lock file,
    and all but the first find the PKI ready.
    """
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(directory, regions):
            _generate(directory, set(regions) | {plan.REGION})
    return Pki(directory)


def main(argv):
    if len(argv) != 2:
        print("usage: python3 -m ssmlab.pki DIR", file=sys.stderr)
        return 2
    pki = ensure(argv[1])
    print("lab PKI ready in %s (trust %s)" % (pki.directory, pki.ca_file))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
