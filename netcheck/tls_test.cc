#include "netcheck/tls.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "netcheck/event_loop.h"
#include "netcheck/openssl_handles.h"
#include "netcheck/tcp.h"

namespace netcheck {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// OpenSSL handles for the test's own CA, certificates and servers.

using KeyPtr = EvpKeyPtr;
using ExtensionPtr = X509ExtensionPtr;

// A write to a peer that reset the connection must give EPIPE, not kill the
// test run (main() of ssm-reach ignores SIGPIPE the same way).
void ignore_sigpipe() {
  static const bool ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignored;
}

struct CertSpec {
  std::string common_name{};
  std::vector<std::string> sans{};  // X509v3 syntax: "DNS:ssm.lab.test", "IP:127.0.0.1"
  // Fixed instants, so the expected ISO 8601 strings are known exactly.
  std::string not_before = "20240101000000Z";
  std::string not_after = "20991231120000Z";
  bool is_ca = false;
};

struct Credential {
  KeyPtr key;
  X509Ptr cert;
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

// Issues a certificate for `spec`, signed by `issuer` (self-signed when null).
Credential issue(const CertSpec& spec, const Credential* issuer) {
  Credential out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(out.key);
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  REQUIRE(cert);
  static long serial = 1000;
  REQUIRE(X509_set_version(cert, X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial) == 1);
  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notBefore(cert), spec.not_before.c_str()) == 1);
  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert), spec.not_after.c_str()) == 1);

  X509_NAME* name = X509_get_subject_name(cert);
  auto text = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.c_str());
  };
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("ssm-reach lab"), -1, -1, 0));
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(spec.common_name), -1, -1, 0));
  X509* signer_cert = issuer ? issuer->cert.get() : cert;
  EVP_PKEY* signer_key = issuer ? issuer->key.get() : out.key.get();
  REQUIRE(X509_set_issuer_name(cert, X509_get_subject_name(signer_cert)) == 1);
  REQUIRE(X509_set_pubkey(cert, out.key.get()) == 1);

  add_extension(cert, signer_cert, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(cert, signer_cert, NID_authority_key_identifier, "keyid:always");
  if (spec.is_ca) {
    add_extension(cert, signer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert, signer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, signer_cert, NID_key_usage, "critical,digitalSignature");
    add_extension(cert, signer_cert, NID_ext_key_usage, "serverAuth");
  }
  if (!spec.sans.empty()) {
    std::string joined;
    for (const std::string& san : spec.sans) joined += (joined.empty() ? "" : ",") + san;
    add_extension(cert, signer_cert, NID_subject_alt_name, joined.c_str());
  }
  REQUIRE(X509_sign(cert, signer_key, EVP_sha256()) > 0);
  return out;
}

// A PEM file in the temp directory, removed when this goes away.
class PemFile {
 public:
  explicit PemFile(const std::vector<const X509*>& certs) {
    std::string pattern = (fs::temp_directory_path() / "tls_test_ca.XXXXXX").string();
    int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = pattern;
    BioPtr bio(BIO_new_file(path_.c_str(), "w"));
    REQUIRE(bio);
    for (const X509* cert : certs) REQUIRE(PEM_write_bio_X509(bio.get(), cert) == 1);
  }
  ~PemFile() { std::remove(path_.c_str()); }
  PemFile(const PemFile&) = delete;
  PemFile& operator=(const PemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every certificate the tests serve, generated once per test run.
struct Lab {
  Credential ca = issue({.common_name = "ssm-reach Test Root CA", .is_ca = true}, nullptr);
  Credential inspection_ca = issue({.common_name = "Corp Inspection CA", .is_ca = true}, nullptr);
  Credential valid = issue({.common_name = "ssm.lab.test",
                            .sans = {"DNS:ssm.lab.test", "DNS:*.ssm.lab.test", "IP:127.0.0.1"}},
                           &ca);
  Credential wrong_name =
      issue({.common_name = "wrong.lab.test", .sans = {"DNS:wrong.lab.test"}}, &ca);
  Credential expired = issue({.common_name = "ssm.lab.test",
                              .sans = {"DNS:ssm.lab.test"},
                              .not_before = "20200101000000Z",
                              .not_after = "20210101000000Z"},
                             &ca);
  Credential not_yet_valid = issue({.common_name = "ssm.lab.test",
                                    .sans = {"DNS:ssm.lab.test"},
                                    .not_before = "20980101000000Z"},
                                   &ca);
  Credential inspected =
      issue({.common_name = "ssm.lab.test", .sans = {"DNS:ssm.lab.test"}}, &inspection_ca);
  Credential self_signed =
      issue({.common_name = "ssm.lab.test", .sans = {"DNS:ssm.lab.test"}}, nullptr);
  PemFile ca_pem{{ca.cert.get()}};
};

const Lab& lab() {
  static const Lab instance;
  return instance;
}

std::unique_ptr<TlsClientContext> client_trusting(const std::string& ca_file) {
  std::string error;
  auto context = TlsClientContext::create(ca_file, &error);
  REQUIRE_MESSAGE(context, error);
  return context;
}

// ---------------------------------------------------------------------------
// Peers: each accepts one connection on 127.0.0.1 in a thread and runs a
// handler on it (blocking I/O with a timeout, so a failing test cannot hang).

class Peer {
 public:
  using Handler = std::function<void(int fd)>;

  explicit Peer(Handler handler) {
    ignore_sigpipe();
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener_.valid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listener_.get(), 4) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, handler = std::move(handler)] { serve_one(handler); });
  }
  ~Peer() { join(); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  std::uint16_t port() const { return port_; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve_one(const Handler& handler) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid()) return;
    timeval limit{5, 0};
    ::setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    ::setsockopt(connection.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    handler(connection.get());
  }

  UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

void drain_until_eof(int fd) {
  char buffer[4096];
  while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
  }
}

struct ServerConfig {
  const Credential* leaf = nullptr;
  std::vector<const X509*> chain{};  // intermediates/roots sent after the leaf
  int min_version = 0;
  int max_version = 0;
  int security_level = -1;
};

// What the TLS server saw, readable after the peer's thread has ended.
struct ServerSaw {
  bool handshake_ok = false;
  std::string server_name;  // SNI; empty when none was sent
};

// A blocking OpenSSL server for one handshake.
Peer::Handler tls_server(ServerConfig config, ServerSaw* saw) {
  return [config = std::move(config), saw](int fd) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) return;
    if (config.security_level >= 0) SSL_CTX_set_security_level(ctx.get(), config.security_level);
    if (config.min_version) SSL_CTX_set_min_proto_version(ctx.get(), config.min_version);
    if (config.max_version) SSL_CTX_set_max_proto_version(ctx.get(), config.max_version);
    if (SSL_CTX_use_certificate(ctx.get(), config.leaf->cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), config.leaf->key.get()) != 1)
      return;
    for (const X509* extra : config.chain)
      SSL_CTX_add1_chain_cert(ctx.get(), const_cast<X509*>(extra));
    SslPtr ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return;
    if (SSL_accept(ssl.get()) == 1) {
      saw->handshake_ok = true;
      if (const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name))
        saw->server_name = sni;
      char buffer[256];
      while (SSL_read(ssl.get(), buffer, sizeof(buffer)) > 0) {
      }
    }
    ERR_clear_error();  // this thread's queue; keep it tidy
  };
}

// ---------------------------------------------------------------------------
// The probe as ssm-reach runs it: TCP, and from its callback TLS, in one loop.

struct Chain {
  std::optional<TcpResult> tcp;
  std::optional<TlsResult> tls;
  bool socket_returned = false;
  int tls_callbacks = 0;
};

void add_chain(EventLoop& loop, Chain* out, std::uint16_t port, std::string server_name,
               const TlsClientContext& context, Duration tls_timeout) {
  loop.add(make_tcp_task({Family::v4, "127.0.0.1"}, port, 3s,
                         [&loop, out, server_name = std::move(server_name), &context, tls_timeout](
                             TcpResult tcp, UniqueFd socket) {
                           out->tcp = std::move(tcp);
                           if (out->tcp->outcome != TcpOutcome::ok) return;
                           loop.add(make_tls_task(context, std::move(socket), server_name,
                                                  tls_timeout,
                                                  [out](TlsResult tls, UniqueFd returned) {
                                                    ++out->tls_callbacks;
                                                    out->tls = std::move(tls);
                                                    out->socket_returned = returned.valid();
                                                    // `returned` closes here: the peer sees EOF.
                                                  }));
                         }));
}

Chain probe(std::uint16_t port, std::string server_name, const TlsClientContext& context,
            Duration tls_timeout = 3s) {
  Chain out;
  EventLoop loop;
  add_chain(loop, &out, port, std::move(server_name), context, tls_timeout);
  loop.run(Clock::now() + 10s);
  REQUIRE(out.tcp);
  REQUIRE(out.tcp->outcome == TcpOutcome::ok);
  REQUIRE(out.tls);
  CHECK(out.tls_callbacks == 1);
  return out;
}

// The handshake against one TLS server configuration; server_saw filled in.
Chain probe_server(ServerConfig config, const std::string& server_name, ServerSaw* saw,
                   const TlsClientContext& context) {
  Peer peer(tls_server(std::move(config), saw));
  Chain out = probe(peer.port(), server_name, context);
  peer.join();
  return out;
}

bool has_error(const TlsResult& tls, int code, int depth) {
  return std::any_of(tls.verify_errors.begin(), tls.verify_errors.end(),
                     [&](const VerifyError& e) { return e.code == code && e.depth == depth; });
}

std::string codes(const TlsResult& tls) {
  std::string out;
  for (const VerifyError& e : tls.verify_errors)
    out += std::to_string(e.code) + "@" + std::to_string(e.depth) + " " + e.text + "; ";
  return out;
}

// ---------------------------------------------------------------------------

TEST_CASE("tls outcome names are the contract's JSON strings") {
  CHECK(std::string(to_string(TlsOutcome::ok)) == "ok");
  CHECK(std::string(to_string(TlsOutcome::timeout)) == "timeout");
  CHECK(std::string(to_string(TlsOutcome::protocol)) == "protocol");
  CHECK(std::string(to_string(TlsOutcome::closed)) == "closed");
  CHECK(std::string(to_string(TlsOutcome::error)) == "error");
}

TEST_CASE("tls client context needs a loadable CA bundle") {
  std::string error;
  CHECK(TlsClientContext::create(lab().ca_pem.path(), &error));

  error.clear();
  CHECK_FALSE(TlsClientContext::create("/nonexistent/ca.pem", &error));
  CHECK(error.find("/nonexistent/ca.pem") != std::string::npos);

  std::string not_pem = (fs::temp_directory_path() / "tls_test_not_pem.txt").string();
  std::ofstream(not_pem) << "this is not a certificate\n";
  error.clear();
  CHECK_FALSE(TlsClientContext::create(not_pem, &error));
  CHECK(error.find(not_pem) != std::string::npos);
  std::remove(not_pem.c_str());
}

TEST_CASE("tls client context trusts the given bundle and nothing else") {
  // OpenSSL's default paths would load the host's whole system store here.
  auto context = client_trusting(lab().ca_pem.path());
  X509_STORE* store = SSL_CTX_get_cert_store(context->get());
  REQUIRE(store);
  CHECK(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)) == 1);
  CHECK(SSL_CTX_get_min_proto_version(context->get()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_verify_mode(context->get()) == SSL_VERIFY_PEER);

  auto empty = client_trusting("");
  CHECK(sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(empty->get()))) == 0);
}

TEST_CASE("tls client contexts share the run's trust anchors, parsed once") {
  TrustStore trust;
  trust.source = "--ca-file";
  trust.path = lab().ca_pem.path();
  auto anchors = load_trust_anchors(trust);
  REQUIRE(anchors);
  std::string error;
  auto first = TlsClientContext::create(*anchors, &error);
  auto second = TlsClientContext::create(*anchors, &error);
  REQUIRE(first);
  REQUIRE(second);
  // The same store, not a copy: nothing is parsed per context.
  CHECK(SSL_CTX_get_cert_store(first->get()) == anchors->store());
  CHECK(SSL_CTX_get_cert_store(second->get()) == anchors->store());
  CHECK(SSL_CTX_get_verify_mode(first->get()) == SSL_VERIFY_PEER);
  // It verifies what the bundle's CA issued, and the context outlives
  // nothing it needs: the store is reference counted.
  anchors.reset();
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw, *first);
  REQUIRE(chain.tls);
  CHECK(chain.tls->verified());
}

TEST_CASE("tls to a valid server: TLS 1.3, verified, leaf described, SNI sent") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw, *context);
  const TlsResult& tls = *chain.tls;
  CHECK_MESSAGE(tls.outcome == TlsOutcome::ok, tls.error);
  CHECK_MESSAGE(tls.verified(), codes(tls));
  CHECK(tls.server_name == "ssm.lab.test");
  CHECK(tls.version == "TLSv1.3");
  CHECK(tls.cipher.rfind("TLS_", 0) == 0);  // a TLS 1.3 suite name
  CHECK(tls.subject == "CN=ssm.lab.test,O=ssm-reach lab");
  CHECK(tls.issuer == "CN=ssm-reach Test Root CA,O=ssm-reach lab");
  CHECK(tls.issuer_cn == "ssm-reach Test Root CA");
  CHECK(tls.sans == std::vector<std::string>{"ssm.lab.test", "*.ssm.lab.test", "127.0.0.1"});
  CHECK(tls.not_before == "2024-01-01T00:00:00Z");
  CHECK(tls.not_after == "2099-12-31T12:00:00Z");
  CHECK(tls.error.empty());
  CHECK(chain.socket_returned);
  CHECK(saw.handshake_ok);
  CHECK(saw.server_name == "ssm.lab.test");
}

TEST_CASE("tls reports the negotiated version of a TLS 1.2 server") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid, .max_version = TLS1_2_VERSION}, "ssm.lab.test",
                             &saw, *context);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::ok, chain.tls->error);
  CHECK(chain.tls->verified());
  CHECK(chain.tls->version == "TLSv1.2");
  CHECK_FALSE(chain.tls->cipher.empty());
}

TEST_CASE("tls records a host name mismatch and still describes the leaf") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().wrong_name}, "ssm.lab.test", &saw, *context);
  const TlsResult& tls = *chain.tls;
  CHECK(tls.outcome == TlsOutcome::ok);
  CHECK_FALSE(tls.verified());
  CHECK_MESSAGE(has_error(tls, X509_V_ERR_HOSTNAME_MISMATCH, 0), codes(tls));
  CHECK(tls.verify_errors.size() == 1);  // the chain itself is fine
  CHECK(tls.sans == std::vector<std::string>{"wrong.lab.test"});
  CHECK(tls.subject == "CN=wrong.lab.test,O=ssm-reach lab");
}

TEST_CASE("tls records an expired certificate with its validity") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().expired}, "ssm.lab.test", &saw, *context);
  const TlsResult& tls = *chain.tls;
  CHECK(tls.outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(tls, X509_V_ERR_CERT_HAS_EXPIRED, 0), codes(tls));
  CHECK(tls.not_before == "2020-01-01T00:00:00Z");
  CHECK(tls.not_after == "2021-01-01T00:00:00Z");
  CHECK(tls.verify_errors.front().text == "certificate has expired");
}

TEST_CASE("tls records a certificate that is not yet valid") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().not_yet_valid}, "ssm.lab.test", &saw, *context);
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_CERT_NOT_YET_VALID, 0), codes(*chain.tls));
  CHECK(chain.tls->not_before == "2098-01-01T00:00:00Z");
}

TEST_CASE("tls through an inspecting proxy: untrusted issuer, named") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  SUBCASE("the proxy sends only its leaf") {
    Chain chain = probe_server({.leaf = &lab().inspected}, "ssm.lab.test", &saw, *context);
    const TlsResult& tls = *chain.tls;
    CHECK(tls.outcome == TlsOutcome::ok);
    CHECK_MESSAGE(has_error(tls, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0), codes(tls));
    CHECK_FALSE(has_error(tls, X509_V_ERR_HOSTNAME_MISMATCH, 0));  // it forges the name
    CHECK(tls.issuer_cn == "Corp Inspection CA");
    CHECK(tls.issuer == "CN=Corp Inspection CA,O=ssm-reach lab");
  }
  SUBCASE("the proxy sends its root as well") {
    Chain chain =
        probe_server({.leaf = &lab().inspected, .chain = {lab().inspection_ca.cert.get()}},
                     "ssm.lab.test", &saw, *context);
    const TlsResult& tls = *chain.tls;
    CHECK(tls.outcome == TlsOutcome::ok);
    CHECK_MESSAGE(has_error(tls, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 1), codes(tls));
    CHECK(tls.issuer_cn == "Corp Inspection CA");
  }
}

TEST_CASE("tls records a self-signed leaf") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().self_signed}, "ssm.lab.test", &saw, *context);
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0),
                codes(*chain.tls));
  CHECK(chain.tls->issuer_cn == "ssm.lab.test");
}

TEST_CASE("tls without trust anchors trusts nothing") {
  auto context = client_trusting("");
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw, *context);
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0),
                codes(*chain.tls));
}

TEST_CASE("tls to an IP literal: no SNI, verified against IP SANs") {
  auto context = client_trusting(lab().ca_pem.path());
  SUBCASE("matching IP SAN") {
    ServerSaw saw;
    Chain chain = probe_server({.leaf = &lab().valid}, "127.0.0.1", &saw, *context);
    CHECK(chain.tls->outcome == TlsOutcome::ok);
    CHECK_MESSAGE(chain.tls->verified(), codes(*chain.tls));
    CHECK(saw.handshake_ok);
    CHECK(saw.server_name.empty());  // RFC 6066: no IP literals in SNI
  }
  SUBCASE("no such IP SAN") {
    ServerSaw saw;
    Chain chain = probe_server({.leaf = &lab().valid}, "127.0.0.2", &saw, *context);
    CHECK(chain.tls->outcome == TlsOutcome::ok);
    CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_IP_ADDRESS_MISMATCH, 0), codes(*chain.tls));
  }
}

TEST_CASE("tls to a plain HTTP server is a protocol failure") {
  auto context = client_trusting(lab().ca_pem.path());
  Peer http([](int fd) {
    char buffer[4096];
    if (::recv(fd, buffer, sizeof(buffer), 0) <= 0) return;
    const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    (void)::send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL);
    // Close only after the client: closing with its bytes unread would send
    // RST, which could reach the client before the reply.
    ::shutdown(fd, SHUT_WR);
    drain_until_eof(fd);
  });
  Chain chain = probe(http.port(), "ssm.lab.test", *context);
  const TlsResult& tls = *chain.tls;
  CHECK_MESSAGE(tls.outcome == TlsOutcome::protocol, tls.error);
  CHECK(tls.error.find("wrong version number") != std::string::npos);
  CHECK(tls.version.empty());
  CHECK(tls.subject.empty());
  CHECK(chain.socket_returned);
}

TEST_CASE("tls to a peer that accepts and closes reports closed") {
  auto context = client_trusting(lab().ca_pem.path());
  Peer closer([](int) {});  // the connection closes as the handler returns
  Chain chain = probe(closer.port(), "ssm.lab.test", *context);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::closed, chain.tls->error);
  CHECK_FALSE(chain.tls->error.empty());
}

TEST_CASE("tls to a peer that reads the ClientHello and hangs up reports closed") {
  auto context = client_trusting(lab().ca_pem.path());
  // Reading first means a clean FIN, not a reset: OpenSSL 3 reports this EOF
  // without close_notify as an SSL error, which must still count as closed.
  Peer reader([](int fd) {
    char buffer[4096];
    (void)::recv(fd, buffer, sizeof(buffer), 0);
  });
  Chain chain = probe(reader.port(), "ssm.lab.test", *context);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::closed, chain.tls->error);
  CHECK(chain.tls->error.find("unexpected eof") != std::string::npos);
}

TEST_CASE("tls to a peer that never speaks times out on the task's timer") {
  auto context = client_trusting(lab().ca_pem.path());
  Peer silent([](int fd) { drain_until_eof(fd); });
  Chain chain = probe(silent.port(), "ssm.lab.test", *context, 300ms);
  CHECK(chain.tls->outcome == TlsOutcome::timeout);
  CHECK(chain.tls->ms >= 299.0);  // never earlier than the timeout
  CHECK(chain.tls->error.find("no ServerHello") != std::string::npos);
  CHECK(chain.socket_returned);
}

TEST_CASE("tls handshake abandoned by the run's deadline reports a timeout") {
  auto context = client_trusting(lab().ca_pem.path());
  Peer silent([](int fd) { drain_until_eof(fd); });
  Chain chain;
  EventLoop loop;
  add_chain(loop, &chain, silent.port(), "ssm.lab.test", *context, 30s);
  CHECK_FALSE(loop.run(Clock::now() + 300ms));
  REQUIRE(chain.tls);
  CHECK(chain.tls_callbacks == 1);
  CHECK(chain.tls->outcome == TlsOutcome::timeout);
}

TEST_CASE("tls to a server that offers only TLS 1.1 is a protocol failure") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw;
  // Security level 0: OpenSSL 3 refuses TLS 1.1 at the default level 1.
  Chain chain = probe_server({.leaf = &lab().valid,
                              .min_version = TLS1_VERSION,
                              .max_version = TLS1_1_VERSION,
                              .security_level = 0},
                             "ssm.lab.test", &saw, *context);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::protocol, chain.tls->error);
  CHECK_FALSE(saw.handshake_ok);
  CHECK(chain.tls->error.find("protocol version") != std::string::npos);
}

TEST_CASE("tls set-up failure is reported from the loop, not the constructor") {
  auto context = client_trusting(lab().ca_pem.path());
  std::optional<TlsResult> result;
  EventLoop loop;
  loop.add(make_tls_task(*context, UniqueFd(), "ssm.lab.test", 1s,
                         [&](TlsResult r, UniqueFd) { result = std::move(r); }));
  CHECK_FALSE(result);
  CHECK(loop.run(Clock::now() + 5s));
  REQUIRE(result);
  CHECK(result->outcome == TlsOutcome::error);
  CHECK_FALSE(result->error.empty());
}

TEST_CASE("concurrent handshakes in one loop keep their own errors") {
  auto context = client_trusting(lab().ca_pem.path());
  ServerSaw saw_valid, saw_expired;
  Peer valid(tls_server({.leaf = &lab().valid}, &saw_valid));
  Peer expired(tls_server({.leaf = &lab().expired}, &saw_expired));
  Peer http([](int fd) {
    char buffer[4096];
    if (::recv(fd, buffer, sizeof(buffer), 0) <= 0) return;
    (void)::send(fd, "HTTP/1.1 400 Bad Request\r\n\r\n", 28, MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    drain_until_eof(fd);
  });
  Peer closer([](int) {});

  Chain to_valid, to_expired, to_http, to_closer;
  EventLoop loop;
  add_chain(loop, &to_valid, valid.port(), "ssm.lab.test", *context, 3s);
  add_chain(loop, &to_http, http.port(), "ssm.lab.test", *context, 3s);
  add_chain(loop, &to_expired, expired.port(), "ssm.lab.test", *context, 3s);
  add_chain(loop, &to_closer, closer.port(), "ssm.lab.test", *context, 3s);
  CHECK(loop.run(Clock::now() + 10s));
  REQUIRE(to_valid.tls);
  REQUIRE(to_expired.tls);
  REQUIRE(to_http.tls);
  REQUIRE(to_closer.tls);
  CHECK_MESSAGE(to_valid.tls->verified(), codes(*to_valid.tls));
  CHECK(to_valid.tls->error.empty());
  CHECK(to_expired.tls->outcome == TlsOutcome::ok);
  CHECK(has_error(*to_expired.tls, X509_V_ERR_CERT_HAS_EXPIRED, 0));
  CHECK(to_expired.tls->error.empty());
  CHECK(to_http.tls->outcome == TlsOutcome::protocol);
  CHECK(to_closer.tls->outcome == TlsOutcome::closed);
}

}  // namespace
}  // namespace netcheck
