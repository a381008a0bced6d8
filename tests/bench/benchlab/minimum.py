"""The physical minimum of a healthy run, in round trips of the instance.

With the delay on the instance's link (benchlab.delay), every exchange of
the instance costs one RTT, whoever answers (IMDS and the resolver on the
router, the endpoints beyond it). The checks ssm-reach makes depend on
each other like this, and no tool can do better than the longest chain:

  IMDS token -> region -> DNS -> TCP -> TLS -> HTTP -> signed call

with everything else overlapped. Only round trips on that chain count.
"""

# (step, round trips, why) on the critical path of a healthy run without
# --region (the region comes from IMDS, as on a stock instance).
CRITICAL_PATH = [
    ("IMDS TCP connect", 1, "169.254.169.254:80, SYN / SYN-ACK"),
    ("IMDS token", 1, "PUT /latest/api/token (IMDSv2); nothing else is answered without it"),
    ("IMDS region", 1, "GET meta-data/placement/region on the same connection; the "
                       "endpoint names SVC.REGION.amazonaws.com need it"),
    ("DNS", 1, "A and AAAA of every endpoint name at once over UDP"),
    ("TCP", 1, "connect to every endpoint address at once"),
    ("TLS 1.3", 1, "ClientHello to server Finished; the client's Finished rides with the "
                   "request"),
    ("HTTP", 1, "GET / and the service's answer (Date, request id)"),
    ("signed call", 1, "ListInstanceAssociations as a second request on that connection"),
]
# What runs beside the critical path and therefore costs nothing extra.
OVERLAPPED = [
    "credentials: GET iam/info and iam/security-credentials/ROLE after the token "
    "(ready after round trip 4, the signed call starts after 7)",
    "instance facts (identity document, interface, VPC, subnet) in the same window",
    "the services and every address of each: probed concurrently, so one chain in all",
    "A and AAAA, every resolver: in parallel within the DNS round trip",
]


def round_trips():
    return sum(n for _, n, _ in CRITICAL_PATH)


def explain_lines():
    lines = ["minimum round trips of a healthy run = %d:" % round_trips()]
    lines += ["  %-16s %d  %s" % (step, n, why) for step, n, why in CRITICAL_PATH]
    lines += ["  overlapped (free): " + OVERLAPPED[0]] + ["                     " + o
                                                          for o in OVERLAPPED[1:]]
    return lines
