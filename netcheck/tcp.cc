#include "netcheck/tcp.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace netcheck {

const char* to_string(TcpOutcome outcome) {
  switch (outcome) {
    case TcpOutcome::ok:
      return "ok";
    case TcpOutcome::timeout:
      return "timeout";
    case TcpOutcome::refused:
      return "refused";
    case TcpOutcome::unreachable:
      return "unreachable";
    case TcpOutcome::error:
      return "error";
  }
  return "error";
}

std::string errno_name(int err) {
  switch (err) {
    // What a connect(2), socket(2) or SO_ERROR can report.
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case ENETUNREACH:
      return "ENETUNREACH";
    case EHOSTDOWN:
      return "EHOSTDOWN";
    case ENETDOWN:
      return "ENETDOWN";
    case EADDRNOTAVAIL:
      return "EADDRNOTAVAIL";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EPERM:
      return "EPERM";
    case EACCES:
      return "EACCES";
    case ECONNRESET:
      return "ECONNRESET";
    case ECONNABORTED:
      return "ECONNABORTED";
    case EPIPE:
      return "EPIPE";
    case EAFNOSUPPORT:
      return "EAFNOSUPPORT";
    case EPROTONOSUPPORT:
      return "EPROTONOSUPPORT";
    case EINVAL:
      return "EINVAL";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ENOBUFS:
      return "ENOBUFS";
    case ENOMEM:
      return "ENOMEM";
    case EAGAIN:
      return "EAGAIN";
    case EINPROGRESS:
      return "EINPROGRESS";
    case EALREADY:
      return "EALREADY";
    case EINTR:
      return "EINTR";
    case EISCONN:
      return "EISCONN";
    case ENOTCONN:
      return "ENOTCONN";
    case EBADF:
      return "EBADF";
    case ENOPROTOOPT:
      return "ENOPROTOOPT";
    case EPROTO:
      return "EPROTO";
    default:
      return "errno " + std::to_string(err);
  }
}

namespace {

TcpOutcome classify_connect_errno(int err) {
  switch (err) {
    case 0:
      return TcpOutcome::ok;
    case ECONNREFUSED:
      return TcpOutcome::refused;
    case ETIMEDOUT:
      return TcpOutcome::timeout;
    // No route, ICMP unreachable, or a local firewall (EPERM/EACCES come from
    // netfilter or an LSM on this host, not from the network): the errno name
    // is kept so the diagnosis can tell these apart.
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:  // IPv6 disabled on this host: no path for the family
    case EPERM:
    case EACCES:
      return TcpOutcome::unreachable;
    default:
      return TcpOutcome::error;
  }
}

// A numeric address to a sockaddr. AI_NUMERICHOST guarantees no name lookup;
// unlike inet_pton it also accepts an IPv6 scope ("fe80::1%eth0").
bool to_sockaddr(const IpAddress& address, std::uint16_t port, sockaddr_storage* out,
                 socklen_t* out_len) {
  addrinfo hints{};
  hints.ai_family = address.family == Family::v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(address.text.c_str(), service.c_str(), &hints, &found) != 0 || !found)
    return false;
  bool fits = found->ai_addrlen <= sizeof(*out);
  if (fits) {
    std::memcpy(out, found->ai_addr, found->ai_addrlen);
    *out_len = found->ai_addrlen;
  }
  ::freeaddrinfo(found);
  return fits;
}

class TcpConnectTask final : public Task {
 public:
  TcpConnectTask(IpAddress address, std::uint16_t port, Duration timeout, TcpCallback on_done)
      : on_done_(std::move(on_done)), start_(Clock::now()), deadline_(start_ + timeout) {
    result_.address = std::move(address);
    result_.port = port;
    begin_connect();
  }

  void want(std::vector<pollfd>& fds) override {
    if (state_ == State::connecting) fds.push_back({socket_.get(), POLLOUT, 0});
  }

  void on_events(std::span<const pollfd> fds, TimePoint now) override {
    if (state_ == State::done) return;
    if (state_ == State::settled) {
      // connect() already gave its answer in the constructor; report it now,
      // from the loop, because the callback may add tasks to the loop.
      finish(settled_errno_, now);
      return;
    }
    for (const pollfd& p : fds) {
      if (p.revents & POLLNVAL) {
        finish(EBADF, now);
        return;
      }
      if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {
        finish(pending_socket_error(), now);
        return;
      }
    }
    if (now >= deadline_) finish_timeout(now);
  }

  TimePoint wake_at() const override {
    // A settled connect is reported on the next iteration without waiting.
    return state_ == State::settled ? start_ : deadline_;
  }

  bool done() const override { return state_ == State::done; }

  void abandon(TimePoint now) override {
    if (state_ == State::done) return;
    // The run's deadline passed; an answer connect() already gave still counts.
    if (state_ == State::settled) {
      finish(settled_errno_, now);
      return;
    }
    finish_timeout(now);
  }

 private:
  enum class State { connecting, settled, done };

  void begin_connect() {
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    if (!to_sockaddr(result_.address, result_.port, &peer, &peer_len)) {
      settle(EINVAL);
      return;
    }
    socket_.reset(::socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket_.valid()) {
      settle(errno);
      return;
    }
    // sockaddr_storage is the type the sockets API is designed to be cast from.
    if (::connect(socket_.get(), reinterpret_cast<const sockaddr*>(&peer), peer_len) == 0) {
      settle(0);  // loopback may connect at once
      return;
    }
    // EINTR: the connect carries on asynchronously, exactly like EINPROGRESS.
    if (errno == EINPROGRESS || errno == EINTR) return;
    settle(errno);
  }

  void settle(int err) {
    state_ = State::settled;
    settled_errno_ = err;
  }

  int pending_socket_error() const {
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }

  void finish(int err, TimePoint now) {
    // A reset after the handshake completed (a refused SYN is ECONNREFUSED):
    // TCP did connect. The next layer meets the reset on the socket and
    // reports it, so the outcome does not hang on how fast we looked.
    if (err == ECONNRESET) err = 0;
    result_.outcome = classify_connect_errno(err);
    result_.errno_name = err == 0 ? "" : errno_name(err);
    deliver(now);
  }

  void finish_timeout(TimePoint now) {
    result_.outcome = TcpOutcome::timeout;
    result_.errno_name.clear();
    deliver(now);
  }

  void deliver(TimePoint now) {
    state_ = State::done;
    result_.ms = ms_between(start_, now);
    UniqueFd connected;
    if (result_.outcome == TcpOutcome::ok) connected = std::move(socket_);
    socket_.reset();
    // Moved out first: the callback may add tasks, and this object is
    // destroyed once the loop sees it done.
    TcpCallback callback = std::move(on_done_);
    if (callback) callback(std::move(result_), std::move(connected));
  }

  TcpCallback on_done_;
  TimePoint start_;
  TimePoint deadline_;
  TcpResult result_;
  UniqueFd socket_;
  State state_ = State::connecting;
  int settled_errno_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_tcp_task(IpAddress address, std::uint16_t port, Duration timeout,
                                    TcpCallback on_done) {
  return std::make_unique<TcpConnectTask>(std::move(address), port, timeout, std::move(on_done));
}

}  // namespace netcheck
