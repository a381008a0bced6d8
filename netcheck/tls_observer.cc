#include "netcheck/tls_observer.h"

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

namespace {

using ObserverRef = std::shared_ptr<TlsObserver>;

// The context owns a reference to its observer: the connection (and so the
// context) may outlive the request that made it, in libcurl's cache, and an
// alert at its close still finds a live observer. A C callback.
void free_observer(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) noexcept {
  delete static_cast<ObserverRef*>(ptr);
}

int observer_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_observer);
  return index;
}

TlsObserver* observer_of(const SSL* ssl) {
  const SSL_CTX* ctx = ssl ? SSL_get_SSL_CTX(ssl) : nullptr;
  auto* ref = ctx ? static_cast<ObserverRef*>(SSL_CTX_get_ex_data(ctx, observer_index())) : nullptr;
  return ref ? ref->get() : nullptr;
}

// The first error in this thread's OpenSSL queue, in OpenSSL's words, e.g.
// "error:0A00010B:SSL routines::wrong version number". Peeked, not taken:
// libcurl reads the queue after the callback.
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

// Where a handshake that never ended stalled: a peer that took the
// ClientHello and went silent (a firewall that lets TCP through but not
// TLS) reads differently from one that stopped halfway.
std::string stall_text(bool started, int state, const char* state_text) {
  if (!started || state == TLS_ST_BEFORE)
    return "no complete handshake in time: the ClientHello was never sent";
  if (state == TLS_ST_CW_CLNT_HELLO)
    return "no complete handshake in time: ClientHello sent, no ServerHello came back";
  return std::string("no complete handshake in time: stalled after \"") + state_text + "\"";
}

}  // namespace

TlsObserver::TlsObserver(std::string server_name) : start_(Clock::now()) {
  result_.server_name = std::move(server_name);
}

bool TlsObserver::attach(SSL_CTX* ctx, const std::shared_ptr<TlsObserver>& observer) {
  const std::string& name = observer->result_.server_name;
  // RFC 6066 forbids IP literals in SNI (libcurl sends none): those are
  // verified against the IP SANs. The SSL libcurl makes next inherits the
  // context's parameters.
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  if (is_ip_literal(name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) return false;
  } else if (!name.empty() && X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) != 1) {
    return false;
  }
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  auto* ref = new (std::nothrow) ObserverRef(observer);
  if (!ref) return false;
  if (SSL_CTX_set_ex_data(ctx, observer_index(), ref) != 1) {
    delete ref;
    return false;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &TlsObserver::on_verify);
  SSL_CTX_set_info_callback(ctx, &TlsObserver::on_info);
  return true;
}

// Records every verification failure and lets the handshake go on; trust is
// judged from the recorded errors. A C callback: nothing may be thrown
// through OpenSSL.
int TlsObserver::on_verify(int preverified, X509_STORE_CTX* store) noexcept {
  if (preverified) return 1;
  try {
    const auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    TlsObserver* self = observer_of(ssl);
    if (!self) return 1;
    auto& errors = self->result_.verify_errors;
    int code = X509_STORE_CTX_get_error(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    for (const VerifyError& seen : errors)
      if (seen.code == code && seen.depth == depth) return 1;
    errors.push_back({code, depth, X509_verify_cert_error_string(code)});
  } catch (...) {
    // Out of memory while recording: the handshake still completes, and
    // the verify result is cross-checked at its end.
  }
  return 1;
}

void TlsObserver::on_info(const SSL* ssl, int where, int ret) noexcept {
  const int saved_errno = errno;  // of the read or write that failed, if one did
  TlsObserver* self = observer_of(ssl);
  if (!self || self->ended_) return;  // later: post-handshake messages, the close
  try {
    const TimePoint now = Clock::now();
    if (where & SSL_CB_HANDSHAKE_START) self->started_ = true;
    if (where & SSL_CB_LOOP) {
      self->state_ = SSL_get_state(ssl);
      self->state_text_ = SSL_state_string_long(ssl);
    }
    if (where & SSL_CB_HANDSHAKE_DONE) self->handshake_done(ssl, now);
    if ((where & SSL_CB_EXIT) && ret <= 0) self->handshake_failed(ssl, ret, saved_errno, now);
  } catch (...) {
    // Out of memory: the transfer's own error tells the outcome.
  }
  errno = saved_errno;
}

void TlsObserver::handshake_done(const SSL* ssl, TimePoint now) {
  ended_ = true;
  result_.ms = ms_between(start_, now);
  result_.outcome = TlsOutcome::ok;
  result_.version = SSL_get_version(ssl);
  if (const char* cipher = SSL_get_cipher_name(ssl)) result_.cipher = cipher;
  if (const X509* leaf = SSL_get0_peer_certificate(ssl)) {
    describe_leaf(leaf, &result_);
  } else {
    result_.verify_errors.push_back(
        {X509_V_ERR_UNSPECIFIED, 0, "the server presented no certificate"});
  }
  // The callback saw every failure; this only guards against one it missed.
  long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK && result_.verify_errors.empty()) {
    int code = static_cast<int>(verdict);
    result_.verify_errors.push_back({code, 0, X509_verify_cert_error_string(code)});
  }
}

// SSL_connect returned `ret` <= 0: still waiting for the peer, or failed.
void TlsObserver::handshake_failed(const SSL* ssl, int ret, int saved_errno, TimePoint now) {
  const int ssl_error = SSL_get_error(ssl, ret);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE ||
      ssl_error == SSL_ERROR_WANT_ASYNC)
    return;
  ended_ = true;
  result_.ms = ms_between(start_, now);
  switch (ssl_error) {
    case SSL_ERROR_ZERO_RETURN:
      result_.outcome = TlsOutcome::closed;
      result_.error = "the peer closed the TLS connection (close_notify)";
      return;
    case SSL_ERROR_SYSCALL: {
      // The transport failed under OpenSSL. A reset (ECONNRESET), a write
      // after the peer's reset (EPIPE) or a bare EOF means the peer hung up;
      // any other errno is a local failure.
      std::string why = first_queued_error();
      if (why.empty())
        why = saved_errno != 0 ? errno_name(saved_errno) + ": " + std::strerror(saved_errno)
                               : "unexpected EOF from the peer";
      const bool hung_up = saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE ||
                           saved_errno == ECONNABORTED;
      result_.outcome = hung_up ? TlsOutcome::closed : TlsOutcome::error;
      result_.error = std::move(why);
      return;
    }
    case SSL_ERROR_SSL: {
      const unsigned long first = ERR_peek_error();
      result_.error = first_queued_error();
      if (ERR_GET_LIB(first) == ERR_LIB_SSL &&
          ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        // OpenSSL 3 reports an EOF without close_notify this way.
        result_.outcome = TlsOutcome::closed;
      } else if (ERR_GET_REASON(first) == ERR_R_MALLOC_FAILURE) {
        result_.outcome = TlsOutcome::error;
      } else {
        // Everything else the TLS state machine rejects is the peer's
        // doing: not TLS at all ("wrong version number", "packet length
        // too long"), no common version or cipher ("unsupported protocol",
        // an alert such as "handshake failure" or "protocol version"), or a
        // malformed message.
        result_.outcome = TlsOutcome::protocol;
        if (result_.error.empty()) result_.error = "TLS protocol error";
      }
      return;
    }
    default:
      result_.outcome = TlsOutcome::error;
      result_.error = "SSL_connect failed (SSL_get_error " + std::to_string(ssl_error) + ")";
      return;
  }
}

TlsResult TlsObserver::result(TimePoint now, bool timed_out, const std::string& why) const {
  TlsResult out = result_;
  if (ended_) return out;
  out.ms = ms_between(start_, now);
  if (timed_out) {
    out.outcome = TlsOutcome::timeout;
    out.error = stall_text(started_, state_, state_text_);
  } else {
    out.outcome = TlsOutcome::error;
    out.error = why.empty() ? "the handshake did not complete" : why;
  }
  return out;
}

}  // namespace netcheck
