#include "netcheck/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "netcheck/openssl_handles.h"
#include "netcheck/tcp.h"

namespace netcheck {

const char* to_string(TlsOutcome outcome) {
  switch (outcome) {
    case TlsOutcome::ok:
      return "ok";
    case TlsOutcome::timeout:
      return "timeout";
    case TlsOutcome::protocol:
      return "protocol";
    case TlsOutcome::closed:
      return "closed";
    case TlsOutcome::error:
      return "error";
  }
  return "error";
}

namespace {

// The ex_data slot on each SSL that points at its task's verify error list.
int verify_errors_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records every verification failure and lets the handshake go on, so the
// evidence shows what the peer actually served (an inspecting proxy's
// certificate, an expired one). Trust is judged from the recorded errors.
// A C callback: nothing may be thrown through OpenSSL.
int record_verify_error(int preverified, X509_STORE_CTX* store) noexcept {
  if (preverified) return 1;
  try {
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* errors =
        ssl ? static_cast<std::vector<VerifyError>*>(SSL_get_ex_data(ssl, verify_errors_index()))
            : nullptr;
    if (!errors) return 1;
    int code = X509_STORE_CTX_get_error(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    for (const VerifyError& seen : *errors)
      if (seen.code == code && seen.depth == depth) return 1;
    errors->push_back({code, depth, X509_verify_cert_error_string(code)});
  } catch (...) {
    // Out of memory while recording: the handshake still completes; the
    // caller cross-checks SSL_get_verify_result.
  }
  return 1;
}

// The first error in this thread's OpenSSL queue, in OpenSSL's words, e.g.
// "error:0A00010B:SSL routines::wrong version number".
std::string first_queued_error() {
  unsigned long code = ERR_peek_error();
  if (code == 0) return "";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

bool is_ip_literal(const std::string& name) {
  unsigned char scratch[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), scratch) == 1 ||
         inet_pton(AF_INET6, name.c_str(), scratch) == 1;
}

std::string name_rfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !name) return "";
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 && data ? std::string(data, static_cast<std::size_t>(size)) : "";
}

std::string common_name(const X509_NAME* name) {
  if (!name) return "";
  int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  int size = ASN1_STRING_to_UTF8(&utf8, value);
  if (size < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return out;
}

// "2026-01-31T12:00:00Z"
std::string iso8601_utc(const ASN1_TIME* time) {
  std::tm parts{};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return "";
  char text[32];
  if (std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) return "";
  return text;
}

std::vector<std::string> subject_alt_names(const X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                       static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      int length = ASN1_STRING_length(ip);
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : 0;
      char text[INET6_ADDRSTRLEN];
      if (family && inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text)))
        out.emplace_back(text);
    }
  }
  return out;
}

void describe_leaf(const X509* leaf, TlsResult* result) {
  result->subject = name_rfc2253(X509_get_subject_name(leaf));
  result->issuer = name_rfc2253(X509_get_issuer_name(leaf));
  result->issuer_cn = common_name(X509_get_issuer_name(leaf));
  result->sans = subject_alt_names(leaf);
  result->not_before = iso8601_utc(X509_get0_notBefore(leaf));
  result->not_after = iso8601_utc(X509_get0_notAfter(leaf));
}

class TlsHandshakeTask final : public Task {
 public:
  TlsHandshakeTask(const TlsClientContext& context, UniqueFd socket, std::string server_name,
                   Duration timeout, TlsCallback on_done)
      : on_done_(std::move(on_done)),
        start_(Clock::now()),
        deadline_(start_ + timeout),
        socket_(std::move(socket)) {
    result_.server_name = std::move(server_name);
    if (std::string why = set_up(context); !why.empty()) {
      // Reported from the first on_events: the callback must not run before
      // the caller has even added this task to the loop.
      state_ = State::failed_setup;
      result_.outcome = TlsOutcome::error;
      result_.error = why;
    }
  }

  void want(std::vector<pollfd>& fds) override {
    if (state_ == State::handshaking) fds.push_back({socket_.get(), wanted_events_, 0});
  }

  void on_events(std::span<const pollfd> fds, TimePoint now) override {
    if (state_ == State::done) return;
    if (state_ == State::failed_setup) {
      deliver(now);
      return;
    }
    bool ready = false;
    for (const pollfd& p : fds) {
      if (p.revents & POLLNVAL) {
        finish_failed(TlsOutcome::error, "the socket is not open (POLLNVAL)", now);
        return;
      }
      ready = ready || p.revents != 0;
    }
    // Progress first: a handshake that completes as the timer fires counts.
    if (ready) step(now);
    if (state_ == State::handshaking && now >= deadline_) finish_timeout(now);
  }

  TimePoint wake_at() const override { return state_ == State::failed_setup ? start_ : deadline_; }

  bool done() const override { return state_ == State::done; }

  void abandon(TimePoint now) override {
    if (state_ == State::done) return;
    if (state_ == State::failed_setup) {
      deliver(now);
      return;
    }
    finish_timeout(now);
  }

 private:
  enum class State { handshaking, failed_setup, done };

  // Empty on success, else why the SSL object could not be prepared.
  std::string set_up(const TlsClientContext& context) {
    ERR_clear_error();
    if (!socket_.valid()) return "no connected socket";
    ssl_.reset(SSL_new(context.get()));
    if (!ssl_) return "SSL_new failed: " + first_queued_error();
    // Before anything can run the verify callback.
    if (SSL_set_ex_data(ssl_.get(), verify_errors_index(), &result_.verify_errors) != 1)
      return "SSL_set_ex_data failed: " + first_queued_error();
    // A socket BIO without BIO_CLOSE: the fd stays ours and is handed back.
    if (SSL_set_fd(ssl_.get(), socket_.get()) != 1)
      return "SSL_set_fd failed: " + first_queued_error();
    const std::string& name = result_.server_name;
    if (is_ip_literal(name)) {
      // RFC 6066 forbids IP literals in SNI; verify against the IP SANs.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
      if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1)
        return "cannot verify IP address " + name + ": " + first_queued_error();
    } else if (!name.empty()) {
      // SSL_set_tlsext_host_name() expanded: the macro's C cast trips
      // -Wold-style-cast. OpenSSL copies the name and does not modify it.
      if (SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(name.c_str())) != 1)
        return "cannot send server name " + name + ": " + first_queued_error();
      if (SSL_set1_host(ssl_.get(), name.c_str()) != 1)
        return "cannot verify host name " + name + ": " + first_queued_error();
    }
    SSL_set_connect_state(ssl_.get());
    return "";
  }

  void step(TimePoint now) {
    // OpenSSL's error queue is per thread and shared with every other task
    // in this loop: start clean so the error read below is this handshake's.
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(ssl_.get());
    if (rc == 1) {
      finish_ok(now);
      return;
    }
    int saved_errno = errno;
    int ssl_error = SSL_get_error(ssl_.get(), rc);
    switch (ssl_error) {
      case SSL_ERROR_WANT_READ:
        wanted_events_ = POLLIN;
        return;
      case SSL_ERROR_WANT_WRITE:
        wanted_events_ = POLLOUT;
        return;
      case SSL_ERROR_ZERO_RETURN:
        finish_failed(TlsOutcome::closed, "the peer closed the TLS connection (close_notify)", now);
        return;
      case SSL_ERROR_SYSCALL: {
        // The transport failed under OpenSSL. A reset (ECONNRESET), a write
        // after the peer's reset (EPIPE) or a bare EOF means the peer hung up;
        // any other errno is a local failure.
        std::string why = first_queued_error();
        if (why.empty())
          why = saved_errno != 0 ? errno_name(saved_errno) + ": " + std::strerror(saved_errno)
                                 : "unexpected EOF from the peer";
        bool hung_up = saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE ||
                       saved_errno == ECONNABORTED;
        finish_failed(hung_up ? TlsOutcome::closed : TlsOutcome::error, why, now);
        return;
      }
      case SSL_ERROR_SSL: {
        unsigned long first = ERR_peek_error();
        std::string why = first_queued_error();
        if (ERR_GET_LIB(first) == ERR_LIB_SSL &&
            ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          // OpenSSL 3 reports an EOF without close_notify this way.
          finish_failed(TlsOutcome::closed, why, now);
        } else if (ERR_GET_REASON(first) == ERR_R_MALLOC_FAILURE) {
          finish_failed(TlsOutcome::error, why, now);
        } else {
          // Everything else the TLS state machine rejects is the peer's
          // doing: not TLS at all ("wrong version number", "packet length too
          // long"), no common version or cipher ("unsupported protocol",
          // "no protocols available", an alert such as "handshake failure"
          // or "protocol version"), or a malformed message.
          finish_failed(TlsOutcome::protocol, why.empty() ? "TLS protocol error" : why, now);
        }
        return;
      }
      default:
        finish_failed(TlsOutcome::error,
                      "SSL_connect failed (SSL_get_error " + std::to_string(ssl_error) + ")", now);
        return;
    }
  }

  void finish_ok(TimePoint now) {
    result_.outcome = TlsOutcome::ok;
    result_.version = SSL_get_version(ssl_.get());
    if (const char* cipher = SSL_get_cipher_name(ssl_.get())) result_.cipher = cipher;
    if (const X509* leaf = SSL_get0_peer_certificate(ssl_.get())) {
      describe_leaf(leaf, &result_);
    } else {
      result_.verify_errors.push_back(
          {X509_V_ERR_UNSPECIFIED, 0, "the server presented no certificate"});
    }
    // The callback saw every failure; this only guards against one it missed.
    long verdict = SSL_get_verify_result(ssl_.get());
    if (verdict != X509_V_OK && result_.verify_errors.empty()) {
      int code = static_cast<int>(verdict);
      result_.verify_errors.push_back({code, 0, X509_verify_cert_error_string(code)});
    }
    deliver(now);
  }

  void finish_failed(TlsOutcome outcome, std::string why, TimePoint now) {
    result_.outcome = outcome;
    result_.error = std::move(why);
    deliver(now);
  }

  void finish_timeout(TimePoint now) {
    result_.outcome = TlsOutcome::timeout;
    // Where it stalled: a peer that took the ClientHello and went silent (a
    // firewall that lets TCP through but not TLS) reads differently from a
    // handshake that stopped halfway.
    switch (SSL_get_state(ssl_.get())) {
      case TLS_ST_BEFORE:
        result_.error = "no complete handshake in time: the ClientHello was never sent";
        break;
      case TLS_ST_CW_CLNT_HELLO:
        result_.error = "no complete handshake in time: ClientHello sent, no ServerHello came back";
        break;
      default:
        result_.error = std::string("no complete handshake in time: stalled after \"") +
                        SSL_state_string_long(ssl_.get()) + "\"";
        break;
    }
    deliver(now);
  }

  void deliver(TimePoint now) {
    state_ = State::done;
    result_.ms = ms_between(start_, now);
    // Freeing the SSL leaves the fd open (the BIO does not own it); the
    // verify callback's pointer into result_ dies with the SSL, before the
    // result is moved out.
    ssl_.reset();
    ERR_clear_error();
    TlsCallback callback = std::move(on_done_);
    if (callback) callback(std::move(result_), std::move(socket_));
  }

  TlsCallback on_done_;
  TimePoint start_;
  TimePoint deadline_;
  UniqueFd socket_;
  TlsResult result_;
  SslPtr ssl_;
  State state_ = State::handshaking;
  // A connected socket is writable at once: the first step sends ClientHello.
  short wanted_events_ = POLLOUT;
};

}  // namespace

std::unique_ptr<TlsClientContext> TlsClientContext::create(const std::string& ca_file,
                                                           std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    if (error) *error = "SSL_CTX_new failed: " + first_queued_error();
    return nullptr;
  }
  std::unique_ptr<TlsClientContext> context(new TlsClientContext(ctx));
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    if (error) *error = "cannot require TLS 1.2: " + first_queued_error();
    return nullptr;
  }
  // Only the chosen bundle: never OpenSSL's compiled-in default paths, so the
  // report's trust store is exactly the one that was used.
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    if (error) *error = "cannot load CA bundle " + ca_file + ": " + first_queued_error();
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, record_verify_error);
  return context;
}

std::unique_ptr<TlsClientContext> TlsClientContext::create(const TrustAnchors& anchors,
                                                           std::string* error) {
  auto context = create(std::string(), error);
  // set1: the context takes its own reference; the store is never modified.
  if (context) SSL_CTX_set1_cert_store(context->get(), anchors.store());
  return context;
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Task> make_tls_task(const TlsClientContext& context, UniqueFd socket,
                                    std::string server_name, Duration timeout,
                                    TlsCallback on_done) {
  return std::make_unique<TlsHandshakeTask>(context, std::move(socket), std::move(server_name),
                                            timeout, std::move(on_done));
}

}  // namespace netcheck
