"""The physical minimum of a healthy run, in round trips of the instance.

With the delay on the instance's link (benchlab.delay), every exchange of
the instance costs one RTT, whoever answers (IMDS and the resolver on the
router, the endpoints beyond it). The checks ssm-reach makes depend on
each other like this, and no tool can do better than the longest chain:

  IMDS token -> region -> DNS -> TCP -> TLS -> one HTTP exchange

with everything else overlapped. Only round trips on that chain count.
The one HTTP exchange on the ssm address is the signed call itself: it
proves HTTP, the clock (its Date) and the credentials at once, so a
separate GET / before it would only add a round trip.
"""

# (step, round trips, why) on the critical path of a healthy run without
# --region (the region comes from IMDS, as on a stock instance).
CRITICAL_PATH = [
    ("IMDS TCP connect", 1, "169.254.169.254:80, SYN / SYN-ACK (the second connection, for "
                            "the credentials, connects at the same time)"),
    ("IMDS token", 1, "PUT /latest/api/token (IMDSv2); nothing else is answered without it"),
    ("IMDS region", 1, "the identity document on the same connection (the role list beside "
                       "it on the second); the endpoint names SVC.REGION.amazonaws.com need "
                       "the region"),
    ("DNS", 1, "A and AAAA of every endpoint name at once over UDP (the role's credentials "
               "arrive in the same round trip)"),
    ("TCP", 1, "connect to every endpoint address at once"),
    ("TLS 1.3", 1, "ClientHello to server Finished; the client's Finished rides with the "
                   "request"),
    ("HTTP", 1, "one exchange per address: on the ssm address the signed call "
                "(ListInstanceAssociations: HTTP, the clock and the credentials at once), "
                "GET / on every other address, all in parallel"),
]
# What runs beside the critical path and therefore costs nothing extra.
OVERLAPPED = [
    "credentials: the role list after the token (round trip 3), the role's credentials "
    "(round trip 4, with DNS): ready before the TLS handshakes end (round trip 6)",
    "instance facts (identity document, interface, VPC, subnet) in the same window",
    "the services and every address of each: probed concurrently, so one chain in all",
    "A and AAAA, every resolver: in parallel within the DNS round trip",
    "TCP, TLS and HTTP of an address on one connection: the TCP check's socket carries the "
    "exchange, whose handshake is the TLS check (one handshake per address)",
]
# The previous count, kept as a note: GET / first and the signed call as a
# second request on that connection (keep-alive) is 8.
NOTE = ("8 with GET / first and the signed call as a second request on the same "
        "keep-alive connection; 9 or more when the signed call needs a connection of its own")


def round_trips():
    return sum(n for _, n, _ in CRITICAL_PATH)


def explain_lines():
    lines = ["minimum round trips of a healthy run = %d:" % round_trips()]
    lines += ["  %-16s %d  %s" % (step, n, why) for step, n, why in CRITICAL_PATH]
    lines += ["  overlapped (free): " + OVERLAPPED[0]] + ["                     " + o
                                                          for o in OVERLAPPED[1:]]
    lines += ["  note: " + NOTE]
    return lines
