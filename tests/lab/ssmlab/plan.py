"""The lab's addressing plan: one simulated VPC, its resolvers, IMDS and
endpoint ENIs. Every address here lives only on `lo` inside a namespace that
a test created; nothing can leave the machine.
"""

import datetime
import json

REGION = "eu-central-1"
AZ = REGION + "a"
# A region with FIPS endpoints (SVC-fips.REGION.amazonaws.com).
FIPS_REGION = "us-east-1"
# Regions the test PKI covers (one in another partition, one with FIPS).
LAB_REGIONS = (REGION, "cn-north-1", FIPS_REGION)
# Where Systems Manager has SVC-fips names (plan/endpoint_names.cc).
FIPS_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1")

# The VPC and the instance in it.
VPC_CIDR = "10.0.0.0/16"
VPC_ID = "vpc-0aaaa1111bbbb2222"
SUBNET_ID = "subnet-0cccc3333dddd4444"
SECURITY_GROUP_ID = "sg-0eeee5555ffff6666"
INSTANCE_ID = "i-0123456789abcdef0"
INSTANCE_IP = "10.0.3.7"
MAC = "0e:1a:2b:3c:4d:5e"

# Resolvers: the VPC resolver (base + 2), a second one, and where a custom
# resolver would live.
RESOLVER = "10.0.0.2"
RESOLVER_2 = "10.0.0.3"
AMAZON_RESOLVER = "169.254.169.253"

IMDS = "169.254.169.254"

# Interface endpoint ENIs, one per service, plus spares for second addresses.
ENI = {
    "ssm": "10.0.1.10",
    "ssmmessages": "10.0.1.11",
    "ec2messages": "10.0.1.12",
}
SPARE_ENI = ["10.0.1.%d" % n for n in range(13, 20)]

# A peered VPC / on-premises range ("private" class, outside the VPC).
PEERED = ["172.31.8.%d" % n for n in range(10, 20)]
# Simulated public service addresses (assigned only inside the namespace).
PUBLIC = ["52.119.161.%d" % n for n in range(10, 20)]
# A shared-services VPC with centralised interface endpoints, reached over a
# Transit Gateway: private, but outside this VPC's CIDR ("private" class).
SHARED_SERVICES_CIDR = "10.100.0.0/16"
SHARED_SERVICES = ["10.100.0.%d" % n for n in range(10, 20)]
# The public internet's IPv6 side (documentation prefix, like TEST-NET for
# IPv4): dual-stack public endpoints, reached through an egress-only gateway.
PUBLIC_V6 = "2001:db8:ffff::/64"
# IPv6 services of a Nitro instance: IMDS and the Amazon-provided resolver.
IMDS_V6 = "fd00:ec2::254"
AMAZON_RESOLVER_V6 = "fd00:ec2::253"
# Never assigned anywhere: connect() gets ENETUNREACH.
UNROUTED = "10.99.9.9"

SERVICES = ("ssm", "ssmmessages", "ec2messages")
EXTRA_SERVICES = ("s3", "kms", "logs", "monitoring", "sts", "ec2")

INSPECTION_CA_NAME = "Contoso TLS Inspection CA"
WRONG_HOST = "www.example.test"


def suffix(region):
    """The partition's DNS suffix (China regions differ)."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def host(service, region=REGION):
    """The default endpoint name of a service in a region."""
    return "%s.%s.%s" % (service, region, suffix(region))


def dualstack_suffix(region):
    """The partition's dual-stack DNS suffix (partitions.json's dualStackDnsSuffix)."""
    return "api.amazonwebservices.com.cn" if region.startswith("cn-") else "api.aws"


def dualstack_host(service, region=REGION):
    """The dual-stack name of a service: SVC.REGION.api.aws (A and AAAA)."""
    return "%s.%s.%s" % (service, region, dualstack_suffix(region))


def fips_hosts(service, region=REGION):
    """The FIPS names of a service where they exist (standard and dual-stack), else []."""
    if region not in FIPS_REGIONS:
        return []
    return ["%s-fips.%s.%s" % (service, region, suffix(region)),
            "%s-fips.%s.%s" % (service, region, dualstack_suffix(region))]


def all_hosts(service, region=REGION):
    """Every name a service's public endpoint answers to (its certificate's names)."""
    return [host(service, region), dualstack_host(service, region)] + fips_hosts(service, region)


def vpce_wildcard(service, region=REGION):
    """The SAN that covers an interface endpoint's own DNS names
    (vpce-...-xxxx.ssm.REGION.vpce.amazonaws.com), as AWS certificates do."""
    return "*.%s.%s.vpce.%s" % (service, region, suffix(region))


def vpce_name(service, region=REGION):
    """An interface endpoint's regional DNS name."""
    return "vpce-0123456789abcdef0-abcdefgh." + vpce_wildcard(service, region)[2:]


def metadata(region=REGION):
    """Instance metadata below /latest/ as IMDS would serve it."""
    macs = "meta-data/network/interfaces/macs/%s/" % MAC
    return {
        "meta-data/instance-id": INSTANCE_ID,
        "meta-data/placement/region": region,
        "meta-data/placement/availability-zone": region + "a",
        "meta-data/mac": MAC,
        "meta-data/local-ipv4": INSTANCE_IP,
        macs + "vpc-id": VPC_ID,
        macs + "subnet-id": SUBNET_ID,
        macs + "vpc-ipv4-cidr-block": VPC_CIDR,
        macs + "vpc-ipv4-cidr-blocks": VPC_CIDR,
        macs + "security-group-ids": SECURITY_GROUP_ID,
        macs + "local-ipv4s": INSTANCE_IP,
        "dynamic/instance-identity/document": (
            '{"region": "%s", "availabilityZone": "%sa", "instanceId": "%s", '
            '"accountId": "111122223333", "privateIp": "%s"}'
            % (region, region, INSTANCE_ID, INSTANCE_IP)
        ),
    }


# A hybrid (on-premises) managed instance's id, as in its registration file.
MANAGED_INSTANCE_ID = "mi-0123456789abcdef0"


def agent_log_line(version):
    """The line the SSM agent writes to amazon-ssm-agent.log when it starts."""
    return ("2025-01-15 08:30:00.0000 INFO [amazon-ssm-agent] Starting Core Agent: "
            "amazon-ssm-agent - v%s\n" % version)


# --- The instance's credentials, as IMDS serves them -----------------------------
# Fake, and secrets of the lab all the same: the secret keys and session tokens
# must never appear in anything ssm-reach prints or saves (SECRETS lists them
# for the e2e driver to scan for). The access key ids are not secret, but the
# evidence has no place for them either.
ROLE = "LabSsmRole"
INSTANCE_PROFILE_ARN = "arn:aws:iam::111122223333:instance-profile/LabSsmProfile"
INSTANCE_PROFILE_ID = "AIPALABFAKEPROFILEID0"
ACCESS_KEY_ID = "ASIALABFAKEACCESSKEY"
SECRET_ACCESS_KEY = "LabSecretKey/DO-NOT-PRINT/0123456789abcdefABCDEF"
SESSION_TOKEN = "LabSessionToken/DO-NOT-PRINT/" + "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
# The EC2 instance identity credentials (Default Host Management Configuration).
IDENTITY_ACCESS_KEY_ID = "ASIALABFAKEIDENTITY0"
IDENTITY_SECRET_ACCESS_KEY = "LabIdentitySecretKey/DO-NOT-PRINT/fedcba9876543210FEDCBA"
IDENTITY_SESSION_TOKEN = ("LabIdentitySessionToken/DO-NOT-PRINT/"
                          + "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw")
SECRETS = [SECRET_ACCESS_KEY, SESSION_TOKEN, IDENTITY_SECRET_ACCESS_KEY, IDENTITY_SESSION_TOKEN]
# Every fake key pair: access key id -> (secret access key, session token).
LAB_CREDENTIALS = {ACCESS_KEY_ID: (SECRET_ACCESS_KEY, SESSION_TOKEN),
                   IDENTITY_ACCESS_KEY_ID: (IDENTITY_SECRET_ACCESS_KEY, IDENTITY_SESSION_TOKEN)}

# The world knob `credentials`: what IMDS serves (see credentials_metadata).
CREDENTIAL_MODES = ("role", "expired", "none", "dhmc")
ROLE_CREDENTIALS_PATH = "meta-data/iam/security-credentials/" + ROLE
IDENTITY_CREDENTIALS_PATH = "meta-data/identity-credentials/ec2/security-credentials/ec2-instance"


def _imds_time(moment):
    """IMDS's timestamps: ISO 8601 in UTC, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Instance profile credentials last six hours (rotated well before).
CREDENTIAL_LIFETIME = datetime.timedelta(hours=6)


def _credentials_document(key_id, secret, token, expiration):
    """A security-credentials answer, laid out as IMDS lays it out."""
    last_updated = expiration - CREDENTIAL_LIFETIME
    return json.dumps({"Code": "Success", "LastUpdated": _imds_time(last_updated),
                       "Type": "AWS-HMAC", "AccessKeyId": key_id, "SecretAccessKey": secret,
                       "Token": token, "Expiration": _imds_time(expiration)}, indent=2)


def credentials_metadata(mode, now):
    """The credential paths below /latest/ for a `credentials` mode, at `now`
    (an aware UTC datetime: the world's start):
      role     the instance profile LabSsmProfile with role LabSsmRole
               (meta-data/iam/info, iam/security-credentials/LabSsmRole),
               credentials expiring 6 hours after now
      expired  the same, but they expired 1 hour ago
      none     no instance profile and no instance identity credentials
      dhmc     no instance profile; the EC2 instance identity credentials
               (Default Host Management Configuration) at
               identity-credentials/ec2/security-credentials/ec2-instance
    """
    if mode not in CREDENTIAL_MODES:
        raise ValueError("unknown credentials mode %r (one of %s)"
                         % (mode, ", ".join(CREDENTIAL_MODES)))
    if mode == "none":
        return {}
    if mode == "dhmc":
        return {IDENTITY_CREDENTIALS_PATH: _credentials_document(
            IDENTITY_ACCESS_KEY_ID, IDENTITY_SECRET_ACCESS_KEY, IDENTITY_SESSION_TOKEN,
            now + CREDENTIAL_LIFETIME)}
    expiration = now + (CREDENTIAL_LIFETIME if mode == "role" else -datetime.timedelta(hours=1))
    info = json.dumps({"Code": "Success",
                       "LastUpdated": _imds_time(expiration - CREDENTIAL_LIFETIME),
                       "InstanceProfileArn": INSTANCE_PROFILE_ARN,
                       "InstanceProfileId": INSTANCE_PROFILE_ID}, indent=2)
    return {"meta-data/iam/info": info,
            ROLE_CREDENTIALS_PATH: _credentials_document(ACCESS_KEY_ID, SECRET_ACCESS_KEY,
                                                         SESSION_TOKEN, expiration)}


# --- HTTP layer, proxy and the signed call (lab branch) -----------------------
# A forward proxy (squid) in its own subnet of the VPC, as a corporate proxy
# fleet or a proxy instance would be.
PROXY = "10.0.4.4"
PROXY_PORT = 3128
# Basic proxy authentication (world knob proxy.mode "auth"). A secret of the
# lab: it must never appear in anything ssm-reach prints or saves.
PROXY_USER = "labuser"
PROXY_PASSWORD = "LabProxyPass-DO-NOT-PRINT"
# The account and role the fake SSM API names in its AccessDenied messages
# (the account of the identity document above).
API_ACCOUNT_ID = "111122223333"
API_ROLE_NAME = ROLE
# Credentials the fake SSM API accepts: access key id -> (secret access key,
# session token). Filled from the fake IMDS credentials: whatever IMDS serves
# (instance profile or instance identity) signs a call the API accepts.
LAB_API_CREDENTIALS = LAB_CREDENTIALS
