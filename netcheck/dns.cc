// DNS probing with c-ares 1.18 (ares_query + ares_parse_*_reply), driven by
// the shared poll loop through ares_getsock / ares_process_fd / ares_timeout.
//
// Design:
// - One c-ares channel per server. c-ares' own failover walks servers one
//   after another and hides which one said what; a channel per server asks
//   them all at once and keeps each server's own answer as evidence. The
//   stub-resolver order (first server that does not fail) is applied on top,
//   in DnsTask::decide().
// - Per query c-ares gets TIMEOUTMS = timeout/3 and TRIES = 2. With a single
//   server c-ares 1.18 doubles the per-try timeout on the second round, so the
//   two tries take timeout/3 + 2*timeout/3 = the whole timeout, and one lost
//   UDP datagram is retransmitted after a third of it.
// - On top of that each query is hard-capped at `timeout` from the task's
//   start (ares_cancel), so nothing from resolv.conf or RES_OPTIONS
//   ("timeout:2 attempts:5") can stretch a query.
// - ARES_FLAG_NOCHECKRESP: without it c-ares swallows SERVFAIL and REFUSED,
//   moves on to the (same, only) server and finally reports ECONNREFUSED,
//   which would misreport a failing resolver as an unreachable one.
#include "netcheck/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <climits>
#include <fstream>
#include <sstream>

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
  void operator()(ares_channel channel) const noexcept { ares_destroy(channel); }
};
using Channel = std::unique_ptr<ares_channeldata, ChannelDeleter>;

struct HostentDeleter {
  void operator()(hostent* host) const noexcept { ares_free_hostent(host); }
};
using Hostent = std::unique_ptr<hostent, HostentDeleter>;

struct ServerListDeleter {
  void operator()(ares_addr_port_node* list) const noexcept { ares_free_data(list); }
};
using ServerList = std::unique_ptr<ares_addr_port_node, ServerListDeleter>;

// A channel for reading configuration only (no queries are sent on it).
Channel make_config_channel(const std::string* resolv_conf_path, int* status) {
  ares_options options{};
  int mask = 0;
  if (resolv_conf_path) {
    // c-ares copies the path; the const_cast only satisfies its C signature.
    options.resolvconf_path = const_cast<char*>(resolv_conf_path->c_str());
    mask |= ARES_OPT_RESOLVCONF;
  }
  ares_channel raw = nullptr;
  *status = ares_init_options(&raw, &options, mask);
  return Channel(*status == ARES_SUCCESS ? raw : nullptr);
}

// Canonical text of a binary address of family `af` (AF_INET / AF_INET6).
std::optional<IpAddress> ip_from_binary(int af, const void* bytes) {
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(af, bytes, text, sizeof text) == nullptr) return std::nullopt;
  return parse_ip(text);
}

// Whether a resolv.conf has a "nameserver" line at all. c-ares (like glibc
// and Go) quietly falls back to the loopback resolver when it has none, and
// does not say so; only the file can tell.
bool names_a_nameserver(const std::string& path) {
  std::ifstream file(path);
  std::string word;
  for (std::string line; std::getline(file, line);) {
    std::istringstream words(line);
    if (words >> word && word == "nameserver") return true;
  }
  return false;
}

SystemResolvers read_resolvers(const std::string* resolv_conf_path) {
  SystemResolvers result;
  int status = ARES_SUCCESS;
  Channel channel = make_config_channel(resolv_conf_path, &status);
  if (!channel) {
    result.error =
        std::string("c-ares could not read the resolver configuration: ") + ares_strerror(status);
    return result;
  }
  ares_addr_port_node* raw = nullptr;
  status = ares_get_servers_ports(channel.get(), &raw);
  ServerList list(raw);
  if (status != ARES_SUCCESS) {
    result.error = std::string("c-ares could not list the resolvers: ") + ares_strerror(status);
    return result;
  }
  for (const ares_addr_port_node* node = list.get(); node; node = node->next) {
    std::optional<IpAddress> ip = node->family == AF_INET6
                                      ? ip_from_binary(AF_INET6, &node->addr.addr6)
                                      : ip_from_binary(AF_INET, &node->addr.addr4);
    if (!ip) continue;
    // Port 0 means "the channel's default", which is 53 unless overridden.
    const int port = node->udp_port > 0 && node->udp_port <= 65535 ? node->udp_port : 53;
    result.servers.push_back(DnsServer{std::move(*ip), static_cast<std::uint16_t>(port)});
  }
  if (result.servers.empty()) result.error = "no name server configured";
  const std::string path = resolv_conf_path ? *resolv_conf_path : "/etc/resolv.conf";
  if (!result.servers.empty() && !names_a_nameserver(path))
    result.fallback_note = path + " names no nameserver, so resolvers fall back to " +
                           result.servers.front().address.text;
  return result;
}

}  // namespace

SystemResolvers read_system_resolvers() { return read_resolvers(nullptr); }

SystemResolvers read_resolvers_from(const std::string& path) { return read_resolvers(&path); }

namespace {

struct AddrinfoDeleter {
  void operator()(ares_addrinfo* info) const noexcept { ares_freeaddrinfo(info); }
};
using Addrinfo = std::unique_ptr<ares_addrinfo, AddrinfoDeleter>;

// ares_getaddrinfo's callback for a hosts-file lookup: takes ownership of
// the result. No exception may leave it (it is called from C).
void on_hosts_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* info) noexcept {
  Addrinfo owned(info);
  if (status == ARES_SUCCESS) *static_cast<Addrinfo*>(arg) = std::move(owned);
}

}  // namespace

HostsAnswer lookup_hosts_file(const std::string& name) {
  HostsAnswer answer;
  // An IP literal is not "pinned" by anything (and needs no lookup).
  if (name.empty() || parse_ip(name)) return answer;

  // Not ares_gethostbyname_file: in c-ares 1.18 it reads only /etc/hosts and
  // only the first matching line per family. ares_getaddrinfo on a channel
  // whose only lookup source is "f" (files) returns every matching line and,
  // with ARES_AI_ENVHOSTS, reads $CARES_HOSTS instead of /etc/hosts when it
  // is set (the tests rely on that). It sends no query; with no DNS source
  // the lookup completes inside the call.
  //
  // One channel for every lookup of this thread: setting one up reads
  // resolv.conf and nsswitch.conf and allocates c-ares' query tables (a
  // quarter of a millisecond each, once per target name otherwise). The
  // hosts file itself is read afresh by every lookup.
  thread_local const Channel channel = [] {
    ares_options options{};
    char files_only[] = "f";
    options.lookups = files_only;  // copied by c-ares
    ares_channel raw = nullptr;
    return Channel(ares_init_options(&raw, &options, ARES_OPT_LOOKUPS) == ARES_SUCCESS ? raw
                                                                                       : nullptr);
  }();
  if (!channel) return answer;

  Addrinfo found;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  // NOSORT keeps file order: RFC 6724 sorting would probe routes with
  // connected UDP sockets, pointless for a hosts file.
  hints.ai_flags = ARES_AI_ENVHOSTS | ARES_AI_NOSORT;
  ares_getaddrinfo(channel.get(), name.c_str(), nullptr, &hints, on_hosts_answer, &found);
  if (!found) return answer;

  for (const ares_addrinfo_node* node = found->nodes; node; node = node->ai_next) {
    std::optional<IpAddress> ip;
    if (node->ai_family == AF_INET && node->ai_addrlen >= sizeof(sockaddr_in))
      ip = ip_from_binary(AF_INET, &reinterpret_cast<const sockaddr_in*>(node->ai_addr)->sin_addr);
    else if (node->ai_family == AF_INET6 && node->ai_addrlen >= sizeof(sockaddr_in6))
      ip = ip_from_binary(AF_INET6,
                          &reinterpret_cast<const sockaddr_in6*>(node->ai_addr)->sin6_addr);
    if (ip &&
        std::find(answer.addresses.begin(), answer.addresses.end(), *ip) == answer.addresses.end())
      answer.addresses.push_back(std::move(*ip));
  }
  // IPv4 first, each family in file order.
  std::stable_partition(answer.addresses.begin(), answer.addresses.end(),
                        [](const IpAddress& ip) { return ip.family == Family::v4; });
  return answer;
}

namespace {

constexpr int kTries = 2;

bool is_definitive(DnsOutcome outcome) {
  return outcome == DnsOutcome::ok || outcome == DnsOutcome::nxdomain ||
         outcome == DnsOutcome::no_address;
}

// How much a failure says about the resolver, most telling first: an answer
// that reports a failure (SERVFAIL, REFUSED) beats a garbled or local error,
// which beats an ICMP "port unreachable", which beats silence.
int failure_rank(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::servfail:
      return 5;
    case DnsOutcome::refused:
      return 4;
    case DnsOutcome::error:
      return 3;
    case DnsOutcome::unreachable:
      return 2;
    case DnsOutcome::timeout:
      return 1;
    default:
      return 0;
  }
}

DnsOutcome outcome_of_status(int status) {
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

// One server's answer from its A and AAAA outcomes.
DnsOutcome combine(DnsOutcome a, DnsOutcome aaaa) {
  using enum DnsOutcome;
  // A server cancelled because an earlier one decided keeps whatever it had
  // already answered.
  if (a == skipped) return aaaa;
  if (aaaa == skipped) return a;
  if (a == ok || aaaa == ok) return ok;
  // NXDOMAIN is about the name, not a record type: the name does not exist.
  if (a == nxdomain || aaaa == nxdomain) return nxdomain;
  // "No address" is only proven when both types said so; if one failed, the
  // server's answer is that failure (and a stub moves on to the next server).
  if (a == no_address && aaaa == no_address) return no_address;
  return failure_rank(a) >= failure_rank(aaaa) ? a : aaaa;
}

int query_timeout_ms(Duration timeout) {
  const auto total = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  return static_cast<int>(std::clamp<long long>(total / 3, 1, INT_MAX));
}

class DnsTask;

// One outstanding ares_query (A or AAAA to one server): the callback's `arg`.
struct Query {
  DnsTask* task = nullptr;
  int type = ns_t_a;
  bool finished = false;
  DnsOutcome outcome = DnsOutcome::skipped;
  std::vector<IpAddress> addresses;
  std::string error;
  TimePoint finished_at{};
};

struct ServerProbe {
  DnsServer server;
  Channel channel;  // null when it could not be set up (queries then failed)
  Query a;
  Query aaaa;
  bool finished() const { return a.finished && aaaa.finished; }
  DnsOutcome outcome() const { return combine(a.outcome, aaaa.outcome); }
};

void on_query_done(void* arg, int status, int timeouts, unsigned char* answer,
                   int answer_len) noexcept;

class DnsTask final : public Task {
 public:
  DnsTask(std::string name, std::vector<DnsServer> servers, Duration timeout, DnsCallback on_done)
      : name_(std::move(name)),
        on_done_(std::move(on_done)),
        started_(Clock::now()),
        cap_(started_ + timeout) {
    probes_.reserve(servers.size());
    for (auto& server : servers) {
      auto probe = std::make_unique<ServerProbe>();
      probe->server = std::move(server);
      probe->a.task = this;
      probe->a.type = ns_t_a;
      probe->aaaa.task = this;
      probe->aaaa.type = ns_t_aaaa;
      probes_.push_back(std::move(probe));
      start(*probes_.back(), query_timeout_ms(timeout));
    }
  }

  ~DnsTask() override {
    // ares_destroy reports still-pending queries (ARES_EDESTRUCTION) from
    // inside the call; the flag makes those callbacks return at once, so
    // nothing is recorded into a task that is being torn down.
    destroying_ = true;
    for (auto& probe : probes_) probe->channel.reset();
  }

  DnsTask(const DnsTask&) = delete;
  DnsTask& operator=(const DnsTask&) = delete;

  void want(std::vector<pollfd>& fds) override {
    fd_owner_.clear();
    if (done_) return;
    for (auto& probe : probes_) {
      if (!probe->channel || probe->finished()) continue;
      std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
      const int bits = ares_getsock(probe->channel.get(), sockets.data(), ARES_GETSOCK_MAXNUM);
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events == 0) continue;
        fds.push_back(pollfd{sockets[static_cast<std::size_t>(i)], events, 0});
        fd_owner_.push_back(probe.get());
      }
    }
  }

  void on_events(std::span<const pollfd> fds, TimePoint now) override {
    if (done_) return;
    const std::size_t count = std::min(fds.size(), fd_owner_.size());
    for (std::size_t i = 0; i < count; ++i) {
      const pollfd& fd = fds[i];
      ServerProbe* probe = fd_owner_[i];
      if (fd.revents == 0 || (fd.revents & POLLNVAL) || !probe->channel) continue;
      // Errors (an ICMP port unreachable on the connected UDP socket) are
      // reported by the read or write c-ares then attempts.
      const bool failed = (fd.revents & (POLLERR | POLLHUP)) != 0;
      const bool readable = (fd.revents & POLLIN) || failed;
      const bool writable = (fd.revents & POLLOUT) || (failed && (fd.events & POLLOUT));
      ares_process_fd(probe->channel.get(), readable ? fd.fd : ARES_SOCKET_BAD,
                      writable ? fd.fd : ARES_SOCKET_BAD);
    }
    // With no descriptor, ares_process_fd only runs c-ares' retransmission
    // timers; calling it on every wake-up is cheap and never early.
    for (auto& probe : probes_)
      if (probe->channel && !probe->finished())
        ares_process_fd(probe->channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    if (now >= cap_) cancel_unfinished(DnsOutcome::timeout);
    finish_if_decided();
  }

  TimePoint wake_at() const override {
    if (done_) return TimePoint::max();
    // Decided (every query already ended, for example at start-up): finish
    // on the next pass without waiting.
    if (decide().has_value()) return started_;
    TimePoint wake = cap_;
    const TimePoint now = Clock::now();
    for (const auto& probe : probes_) {
      if (!probe->channel || probe->finished()) continue;
      timeval left{};
      if (ares_timeout(probe->channel.get(), nullptr, &left) == nullptr) continue;
      const auto until =
          now + std::chrono::duration_cast<Duration>(std::chrono::seconds(left.tv_sec) +
                                                     std::chrono::microseconds(left.tv_usec));
      wake = std::min(wake, until);
    }
    return wake;
  }

  bool done() const override { return done_; }

  void abandon(TimePoint /*now*/) override {
    if (done_) return;
    cancel_unfinished(DnsOutcome::timeout);
    finish_if_decided();
  }

  // Called by c-ares (through on_query_done) when a query ends.
  void record(Query& query, int status, const unsigned char* answer, int answer_len) {
    if (destroying_ || query.finished) return;
    query.finished = true;
    query.finished_at = Clock::now();
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
      query.outcome = cancel_reason_;
      if (cancel_reason_ == DnsOutcome::timeout) query.error = ares_strerror(ARES_ETIMEOUT);
      return;
    }
    if (status == ARES_SUCCESS) status = parse_addresses(query, answer, answer_len);
    query.outcome = outcome_of_status(status);
    if (query.outcome != DnsOutcome::ok) query.error = ares_strerror(status);
  }

  bool destroying() const { return destroying_; }

 private:
  static constexpr std::size_t kAllFailed = SIZE_MAX;

  // Creates the server's channel and sends both queries. Failures here end
  // the queries at once with `error` (reported on the next loop pass).
  void start(ServerProbe& probe, int per_try_ms) {
    ares_options options{};
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
    options.timeout = per_try_ms;
    options.tries = kTries;
    const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    ares_channel raw = nullptr;
    int status = ares_init_options(&raw, &options, mask);
    if (status != ARES_SUCCESS) return fail_setup(probe, status, "");
    probe.channel.reset(raw);

    ares_addr_port_node node{};
    const DnsServer& server = probe.server;
    node.family = server.address.family == Family::v6 ? AF_INET6 : AF_INET;
    void* binary = node.family == AF_INET6 ? static_cast<void*>(&node.addr.addr6)
                                           : static_cast<void*>(&node.addr.addr4);
    if (::inet_pton(node.family, server.address.text.c_str(), binary) != 1)
      return fail_setup(probe, ARES_EBADSTR, "not an IP address: " + server.address.text);
    node.udp_port = server.port;
    node.tcp_port = server.port;
    status = ares_set_servers_ports(probe.channel.get(), &node);
    if (status != ARES_SUCCESS) return fail_setup(probe, status, "");

    // Either call may report at once (a bad name, no socket): the callback
    // then runs inside ares_query and only records, as always.
    ares_query(probe.channel.get(), name_.c_str(), ns_c_in, ns_t_a, on_query_done, &probe.a);
    ares_query(probe.channel.get(), name_.c_str(), ns_c_in, ns_t_aaaa, on_query_done, &probe.aaaa);
  }

  void fail_setup(ServerProbe& probe, int status, const std::string& detail) {
    for (Query* query : {&probe.a, &probe.aaaa}) {
      query->finished = true;
      query->finished_at = Clock::now();
      query->outcome = DnsOutcome::error;
      query->error = detail.empty() ? std::string(ares_strerror(status)) : detail;
    }
  }

  static int parse_addresses(Query& query, const unsigned char* answer, int answer_len) {
    hostent* raw = nullptr;
    // Both parsers follow CNAME chains and return ARES_ENODATA when the
    // answer holds no record of the asked type.
    const int status = query.type == ns_t_a
                           ? ares_parse_a_reply(answer, answer_len, &raw, nullptr, nullptr)
                           : ares_parse_aaaa_reply(answer, answer_len, &raw, nullptr, nullptr);
    Hostent host(raw);
    if (status != ARES_SUCCESS) return status;
    if (!host) return ARES_EBADRESP;
    const int family = query.type == ns_t_a ? AF_INET : AF_INET6;
    for (char** entry = host->h_addr_list; entry && *entry; ++entry)
      if (auto ip = ip_from_binary(family, *entry)) query.addresses.push_back(std::move(*ip));
    return query.addresses.empty() ? ARES_ENODATA : ARES_SUCCESS;
  }

  // Ends every query still in flight; c-ares reports them (ECANCELLED)
  // from inside ares_cancel, and record() files them under `reason`.
  void cancel_unfinished(DnsOutcome reason) {
    cancel_reason_ = reason;
    for (auto& probe : probes_)
      if (probe->channel && !probe->finished()) ares_cancel(probe->channel.get());
    // Defensive: a query c-ares did not report is closed here all the same.
    for (auto& probe : probes_)
      for (Query* query : {&probe->a, &probe->aaaa})
        if (!query->finished) {
          query->finished = true;
          query->finished_at = Clock::now();
          query->outcome = reason;
        }
  }

  // Stub-resolver order: the first server, in configuration order, with a
  // definitive answer once every server before it has failed. Returns its
  // index, kAllFailed when every server failed, or nullopt while a server
  // that could still decide has not finished.
  std::optional<std::size_t> decide() const {
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      if (!probes_[i]->finished()) return std::nullopt;
      if (is_definitive(probes_[i]->outcome())) return i;
    }
    return kAllFailed;
  }

  ServerAnswer answer_of(const ServerProbe& probe) const {
    ServerAnswer answer;
    answer.server = probe.server;
    answer.outcome_a = probe.a.outcome;
    answer.outcome_aaaa = probe.aaaa.outcome;
    answer.outcome = probe.outcome();
    if (answer.outcome == DnsOutcome::ok) {
      answer.addresses = probe.a.addresses;
      answer.addresses.insert(answer.addresses.end(), probe.aaaa.addresses.begin(),
                              probe.aaaa.addresses.end());
    } else {
      // The words of the query whose outcome became the server's.
      const Query& source = probe.a.outcome == answer.outcome ? probe.a : probe.aaaa;
      answer.error = source.error;
    }
    for (const Query* query : {&probe.a, &probe.aaaa})
      if (query->outcome != DnsOutcome::skipped)
        answer.ms = std::max(answer.ms, ms_between(started_, query->finished_at));
    return answer;
  }

  void finish_if_decided() {
    const auto decided = decide();
    if (!decided) return;
    // Later servers are no longer needed: what they have not answered yet
    // is recorded as skipped.
    cancel_unfinished(DnsOutcome::skipped);

    DnsResult result;
    result.name = name_;
    for (const auto& probe : probes_) result.servers.push_back(answer_of(*probe));

    if (*decided != kAllFailed) {
      const ServerAnswer& effective = result.servers[*decided];
      result.outcome = effective.outcome;
      result.addresses = effective.addresses;
      result.answered_by = effective.server;
      // Known once this server and every one before it had finished.
      for (std::size_t i = 0; i <= *decided; ++i)
        result.ms = std::max(result.ms, result.servers[i].ms);
    } else if (result.servers.empty()) {
      result.outcome = DnsOutcome::error;
    } else {
      // Every server failed: report the most telling failure, "unreachable"
      // only when it is true of every server. answered_by names the server
      // whose answer is reported; timeouts and ICMP errors have none.
      const bool all_unreachable =
          std::all_of(result.servers.begin(), result.servers.end(),
                      [](const ServerAnswer& s) { return s.outcome == DnsOutcome::unreachable; });
      result.outcome = DnsOutcome::timeout;
      if (all_unreachable) {
        result.outcome = DnsOutcome::unreachable;
      } else {
        for (const auto& s : result.servers)
          if (s.outcome != DnsOutcome::unreachable &&
              failure_rank(s.outcome) > failure_rank(result.outcome))
            result.outcome = s.outcome;
      }
      if (result.outcome != DnsOutcome::timeout && result.outcome != DnsOutcome::unreachable)
        for (const auto& s : result.servers)
          if (s.outcome == result.outcome) {
            result.answered_by = s.server;
            break;
          }
      for (const auto& s : result.servers) result.ms = std::max(result.ms, s.ms);
    }

    done_ = true;
    DnsCallback callback = std::move(on_done_);
    on_done_ = nullptr;
    if (callback) callback(std::move(result));
  }

  std::string name_;
  DnsCallback on_done_;
  TimePoint started_;
  TimePoint cap_;  // hard limit for every query, whatever c-ares' schedule
  std::vector<std::unique_ptr<ServerProbe>> probes_;  // stable addresses: c-ares holds them
  std::vector<ServerProbe*> fd_owner_;                // owner of each pollfd handed out by want()
  DnsOutcome cancel_reason_ = DnsOutcome::timeout;
  bool destroying_ = false;
  bool done_ = false;
};

// c-ares' query callback. It runs inside ares_query, ares_process_fd,
// ares_cancel or ares_destroy, so it only records: no exception may cross
// back into C, and nothing here may destroy the channel or call the user.
void on_query_done(void* arg, int status, int /*timeouts*/, unsigned char* answer,
                   int answer_len) noexcept {
  auto* query = static_cast<Query*>(arg);
  if (query->task->destroying()) return;
  try {
    query->task->record(*query, status, answer, answer_len);
  } catch (...) {
    // Only allocation can throw in record(); keep the query accounted for.
    query->finished = true;
    query->finished_at = Clock::now();
    query->outcome = DnsOutcome::error;
    query->addresses.clear();
  }
}

}  // namespace

std::unique_ptr<Task> make_dns_task(std::string name, std::vector<DnsServer> servers,
                                    Duration timeout, DnsCallback on_done) {
  return std::make_unique<DnsTask>(std::move(name), std::move(servers), timeout,
                                   std::move(on_done));
}

}  // namespace netcheck
