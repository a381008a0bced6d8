#include "netcheck/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <algorithm>
#include <array>

namespace netcheck {

const char* to_string(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::ok:
      return "ok";
    case DnsOutcome::nxdomain:
      return "nxdomain";
    case DnsOutcome::no_address:
      return "no-address";
    case DnsOutcome::servfail:
      return "servfail";
    case DnsOutcome::refused:
      return "refused";
    case DnsOutcome::timeout:
      return "timeout";
    case DnsOutcome::unreachable:
      return "unreachable";
    case DnsOutcome::skipped:
      return "skipped";
    case DnsOutcome::error:
      return "error";
  }
  return "error";
}

namespace {

struct ChannelDeleter {
  void operator()(ares_channeldata* c) const { ares_destroy(c); }
};
using Channel = std::unique_ptr<ares_channeldata, ChannelDeleter>;

// A channel configured from the system's files (resolv.conf, hosts path).
Channel default_channel(int* status) {
  ares_channel raw = nullptr;
  ares_options options{};
  *status = ares_init_options(&raw, &options, 0);
  return Channel(*status == ARES_SUCCESS ? raw : nullptr);
}

std::optional<IpAddress> from_raw(int family, const void* raw) {
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, raw, text, sizeof text) == nullptr) return std::nullopt;
  return IpAddress{family == AF_INET6 ? Family::v6 : Family::v4, text};
}

// Outcome of one query from c-ares' status (with ARES_FLAG_NOCHECKRESP the
// server's RCODE comes straight through as the status).
DnsOutcome outcome_of(int status) {
  switch (status) {
    case ARES_SUCCESS:
      return DnsOutcome::ok;
    case ARES_ENODATA:
      return DnsOutcome::no_address;
    case ARES_ENOTFOUND:
      return DnsOutcome::nxdomain;
    case ARES_ESERVFAIL:
      return DnsOutcome::servfail;
    case ARES_EREFUSED:
      return DnsOutcome::refused;
    case ARES_ETIMEOUT:
      return DnsOutcome::timeout;
    case ARES_ECONNREFUSED:
      return DnsOutcome::unreachable;
    default:
      return DnsOutcome::error;
  }
}

bool definitive(DnsOutcome o) {
  return o == DnsOutcome::ok || o == DnsOutcome::nxdomain || o == DnsOutcome::no_address;
}

// When neither A nor AAAA gave an address: which single word describes the
// server. NXDOMAIN concerns the name whatever the type, so it wins; a
// server error says more than silence.
DnsOutcome combine(DnsOutcome a, DnsOutcome aaaa) {
  if (a == DnsOutcome::nxdomain || aaaa == DnsOutcome::nxdomain) return DnsOutcome::nxdomain;
  if (a == DnsOutcome::no_address && aaaa == DnsOutcome::no_address) return DnsOutcome::no_address;
  for (DnsOutcome o : {DnsOutcome::servfail, DnsOutcome::refused, DnsOutcome::error,
                       DnsOutcome::unreachable, DnsOutcome::timeout})
    if (a == o || aaaa == o) return o;
  return a == DnsOutcome::no_address ? aaaa : a;
}

class DnsTask;

// One resolver: its own channel, its A and AAAA queries.
struct ServerQuery {
  DnsTask* task = nullptr;
  ServerAnswer answer;
  Channel channel;
  int pending = 0;        // queries still in flight
  bool finished = false;  // both answered (or given up)
  std::vector<IpAddress> v4, v6;
};

struct QueryContext {
  ServerQuery* server;
  bool aaaa;
};

class DnsTask final : public Task {
 public:
  DnsTask(std::string name, std::vector<DnsServer> servers, Duration timeout, DnsCallback on_done)
      : on_done_(std::move(on_done)), start_(Clock::now()), cap_(start_ + timeout) {
    result_.name = std::move(name);
    servers_.resize(servers.size());
    contexts_.resize(servers.size() * 2);
    for (std::size_t i = 0; i < servers.size(); ++i) {
      ServerQuery& s = servers_[i];
      s.task = this;
      s.answer.server = servers[i];
      if (!open_channel(s, timeout)) {
        s.answer.outcome = s.answer.outcome_a = s.answer.outcome_aaaa = DnsOutcome::error;
        s.finished = true;
        continue;
      }
      contexts_[2 * i] = {&s, false};
      contexts_[2 * i + 1] = {&s, true};
      s.pending = 2;
      ares_query(s.channel.get(), result_.name.c_str(), ns_c_in, ns_t_a, &DnsTask::on_answer,
                 &contexts_[2 * i]);
      ares_query(s.channel.get(), result_.name.c_str(), ns_c_in, ns_t_aaaa, &DnsTask::on_answer,
                 &contexts_[2 * i + 1]);
    }
  }

  DnsTask(const DnsTask&) = delete;
  DnsTask& operator=(const DnsTask&) = delete;
  ~DnsTask() override {
    // Destroying a channel calls back for its open queries: ignore those, and
    // destroy channels while the contexts the callbacks point at still exist.
    closing_ = true;
    for (auto& s : servers_) s.channel.reset();
  }

  void want(std::vector<pollfd>& fds) override {
    for (auto& s : servers_) {
      if (s.finished || !s.channel) continue;
      std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
      int bits = ares_getsock(s.channel.get(), socks.data(), ARES_GETSOCK_MAXNUM);
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds.push_back(pollfd{socks[static_cast<std::size_t>(i)], events, 0});
      }
    }
  }

  void on_events(std::span<const pollfd> fds, TimePoint now) override {
    if (done_) return;
    // Each fd belongs to exactly one channel; hand it to the one that owns it.
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      for (auto& s : servers_) {
        if (s.finished || !owns(s, p.fd)) continue;
        ares_socket_t r = (p.revents & (POLLIN | POLLERR | POLLHUP)) ? p.fd : ARES_SOCKET_BAD;
        ares_socket_t w = (p.revents & (POLLOUT | POLLERR | POLLHUP)) ? p.fd : ARES_SOCKET_BAD;
        ares_process_fd(s.channel.get(), r, w);
        break;
      }
    }
    // c-ares' own retransmission timers.
    for (auto& s : servers_)
      if (!s.finished) ares_process_fd(s.channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    if (now >= cap_) give_up(DnsOutcome::timeout);
    decide(Clock::now());
  }

  TimePoint wake_at() const override {
    TimePoint wake = cap_;
    TimePoint now = Clock::now();
    for (const auto& s : servers_) {
      if (s.finished) continue;
      timeval max{1, 0};
      timeval tv{};
      if (ares_timeout(s.channel.get(), &max, &tv) != nullptr) {
        auto next = now + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
        wake = std::min(wake, next);
      }
    }
    return wake;
  }

  bool done() const override { return done_; }

  void abandon(TimePoint now) override {
    if (done_) return;
    give_up(DnsOutcome::timeout);
    decide(now);
  }

 private:
  bool open_channel(ServerQuery& s, Duration timeout) {
    // Two tries within the cap: c-ares doubles the wait for the second, so
    // a third of the cap, then two thirds. resolv.conf's own timeout and
    // attempts are overridden here: they must never stretch the probe.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    ares_options options{};
    options.timeout = static_cast<int>(std::max<long long>(ms / 3, 50));
    options.tries = 2;
    // NOCHECKRESP: report SERVFAIL/REFUSED as they are instead of retrying.
    options.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    ares_channel raw = nullptr;
    int rc =
        ares_init_options(&raw, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
    if (rc != ARES_SUCCESS) {
      s.answer.error = ares_strerror(rc);
      return false;
    }
    s.channel.reset(raw);
    ares_addr_port_node node{};
    node.next = nullptr;
    if (s.answer.server.address.family == Family::v6) {
      node.family = AF_INET6;
      ::inet_pton(AF_INET6, s.answer.server.address.text.c_str(), &node.addr.addr6);
    } else {
      node.family = AF_INET;
      ::inet_pton(AF_INET, s.answer.server.address.text.c_str(), &node.addr.addr4);
    }
    node.udp_port = s.answer.server.port;
    node.tcp_port = s.answer.server.port;
    rc = ares_set_servers_ports(s.channel.get(), &node);
    if (rc != ARES_SUCCESS) {
      s.answer.error = ares_strerror(rc);
      return false;
    }
    return true;
  }

  static bool owns(ServerQuery& s, int fd) {
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
    int bits = ares_getsock(s.channel.get(), socks.data(), ARES_GETSOCK_MAXNUM);
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i)
      if ((ARES_GETSOCK_READABLE(bits, i) || ARES_GETSOCK_WRITABLE(bits, i)) &&
          socks[static_cast<std::size_t>(i)] == fd)
        return true;
    return false;
  }

  // c-ares callback: runs inside ares_process_fd / ares_cancel / ares_destroy.
  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                        int alen) noexcept {
    auto* ctx = static_cast<QueryContext*>(arg);
    ServerQuery& s = *ctx->server;
    if (s.task->closing_) return;
    try {
      s.task->record(s, ctx->aaaa, status, abuf, alen);
    } catch (...) {
      // Out of memory while recording: count it as an error, keep going.
      (ctx->aaaa ? s.answer.outcome_aaaa : s.answer.outcome_a) = DnsOutcome::error;
    }
    if (--s.pending == 0) s.task->finish_server(s);
  }

  void record(ServerQuery& s, bool aaaa, int status, unsigned char* abuf, int alen) {
    DnsOutcome outcome = outcome_of(status);
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) outcome = cancel_reason_;
    if (status == ARES_SUCCESS) {
      if (aaaa) {
        std::array<ares_addr6ttl, 64> ttls{};
        int n = static_cast<int>(ttls.size());
        status = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls.data(), &n);
        if (status == ARES_SUCCESS)
          for (int i = 0; i < n; ++i)
            if (auto ip = from_raw(AF_INET6, &ttls[static_cast<std::size_t>(i)].ip6addr))
              s.v6.push_back(*ip);
      } else {
        std::array<ares_addrttl, 64> ttls{};
        int n = static_cast<int>(ttls.size());
        status = ares_parse_a_reply(abuf, alen, nullptr, ttls.data(), &n);
        if (status == ARES_SUCCESS)
          for (int i = 0; i < n; ++i)
            if (auto ip = from_raw(AF_INET, &ttls[static_cast<std::size_t>(i)].ipaddr))
              s.v4.push_back(*ip);
      }
      outcome = outcome_of(status);
      if (outcome == DnsOutcome::ok && (aaaa ? s.v6.empty() : s.v4.empty()))
        outcome = DnsOutcome::no_address;  // e.g. only a CNAME
    }
    if (outcome != DnsOutcome::ok && outcome != DnsOutcome::no_address &&
        outcome != DnsOutcome::nxdomain && s.answer.error.empty() && outcome != cancel_reason_)
      s.answer.error = ares_strerror(status);
    (aaaa ? s.answer.outcome_aaaa : s.answer.outcome_a) = outcome;
  }

  void finish_server(ServerQuery& s) {
    s.finished = true;
    s.answer.ms = ms_between(start_, Clock::now());
    s.answer.addresses = s.v4;
    s.answer.addresses.insert(s.answer.addresses.end(), s.v6.begin(), s.v6.end());
    s.answer.outcome = s.answer.addresses.empty()
                           ? combine(s.answer.outcome_a, s.answer.outcome_aaaa)
                           : DnsOutcome::ok;
  }

  // Stops every server still asking; their queries end as `reason`.
  void give_up(DnsOutcome reason) {
    cancel_reason_ = reason;
    for (auto& s : servers_)
      if (!s.finished && s.channel) ares_cancel(s.channel.get());
  }

  // The effective answer, as a stub resolver asking in order would take it.
  void decide(TimePoint now) {
    if (done_) return;
    const ServerQuery* effective = nullptr;
    for (const auto& s : servers_) {
      if (!s.finished) return;  // an earlier server may still answer
      if (definitive(s.answer.outcome)) {
        effective = &s;
        break;
      }
    }
    result_.ms = ms_between(start_, now);
    if (effective != nullptr) {
      give_up(DnsOutcome::skipped);  // later servers are not needed
      result_.outcome = effective->answer.outcome;
      result_.addresses = effective->answer.addresses;
      result_.answered_by = effective->answer.server;
    } else {
      result_.outcome = DnsOutcome::timeout;
      for (DnsOutcome o : {DnsOutcome::servfail, DnsOutcome::refused, DnsOutcome::error,
                           DnsOutcome::unreachable}) {
        auto it = std::find_if(servers_.begin(), servers_.end(),
                               [o](const ServerQuery& s) { return s.answer.outcome == o; });
        if (it == servers_.end()) continue;
        // Unreachable only when no server merely timed out.
        if (o == DnsOutcome::unreachable &&
            std::any_of(servers_.begin(), servers_.end(), [](const ServerQuery& s) {
              return s.answer.outcome == DnsOutcome::timeout;
            }))
          break;
        result_.outcome = o;
        result_.answered_by = it->answer.server;
        break;
      }
    }
    for (auto& s : servers_) result_.servers.push_back(s.answer);
    done_ = true;
    if (on_done_) on_done_(std::move(result_));
  }

  DnsCallback on_done_;
  TimePoint start_;
  TimePoint cap_;
  DnsResult result_;
  std::vector<ServerQuery> servers_;
  std::vector<QueryContext> contexts_;
  DnsOutcome cancel_reason_ = DnsOutcome::timeout;
  bool done_ = false;
  bool closing_ = false;
};

}  // namespace

SystemResolvers read_system_resolvers() {
  SystemResolvers out;
  int status = ARES_SUCCESS;
  Channel channel = default_channel(&status);
  if (!channel) {
    out.error = std::string("cannot read the resolver configuration: ") + ares_strerror(status);
    return out;
  }
  ares_addr_port_node* nodes = nullptr;
  status = ares_get_servers_ports(channel.get(), &nodes);
  if (status != ARES_SUCCESS) {
    out.error = ares_strerror(status);
    return out;
  }
  for (auto* n = nodes; n != nullptr; n = n->next) {
    auto ip = from_raw(n->family, n->family == AF_INET6 ? static_cast<const void*>(&n->addr.addr6)
                                                        : static_cast<const void*>(&n->addr.addr4));
    if (!ip) continue;
    out.servers.push_back(
        DnsServer{*ip, static_cast<std::uint16_t>(n->udp_port ? n->udp_port : 53)});
  }
  ares_free_data(nodes);
  if (out.servers.empty()) out.error = "no nameserver configured";
  return out;
}

HostsAnswer lookup_hosts_file(const std::string& name) {
  HostsAnswer out;
  int status = ARES_SUCCESS;
  Channel channel = default_channel(&status);
  if (!channel) return out;
  for (int family : {AF_INET, AF_INET6}) {
    hostent* host = nullptr;
    if (ares_gethostbyname_file(channel.get(), name.c_str(), family, &host) != ARES_SUCCESS ||
        host == nullptr)
      continue;
    for (char** a = host->h_addr_list; a != nullptr && *a != nullptr; ++a)
      if (auto ip = from_raw(host->h_addrtype, *a)) out.addresses.push_back(*ip);
    ares_free_hostent(host);
  }
  return out;
}

std::unique_ptr<Task> make_dns_task(std::string name, std::vector<DnsServer> servers,
                                    Duration timeout, DnsCallback on_done) {
  return std::make_unique<DnsTask>(std::move(name), std::move(servers), timeout,
                                   std::move(on_done));
}

}  // namespace netcheck
