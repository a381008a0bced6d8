#include "netcheck/tls_observer.h"

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
#include <cctype>
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
#include "netcheck/http.h"
#include "netcheck/openssl_handles.h"
#include "netcheck/tcp.h"
#include "netcheck/trust_anchors.h"

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

// The run's trust anchors as ssm-reach loads them, from one PEM file.
std::shared_ptr<const TrustAnchors> anchors_from(const std::string& pem_file) {
  TrustStore trust;
  trust.source = "--ca-file";
  trust.path = pem_file;
  auto anchors = load_trust_anchors(trust);
  REQUIRE_MESSAGE(anchors, trust.error);
  return anchors;
}

std::shared_ptr<const TrustAnchors> lab_anchors() {
  static const auto anchors = anchors_from(lab().ca_pem.path());
  return anchors;
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
  // Requests read on the connection; all but the last answered with
  // keep-alive, the last answered (Connection: close) unless `mute_last`.
  int requests = 1;
  bool mute_last = false;
};

void drain_tls_until_eof(SSL* ssl) {
  char buffer[4096];
  while (SSL_read(ssl, buffer, sizeof(buffer)) > 0) {
  }
}

// What the TLS server saw, readable after the peer's thread has ended.
struct ServerSaw {
  bool handshake_ok = false;
  std::string server_name;  // SNI; empty when none was sent
  int requests = 0;         // HTTP requests after the handshake
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
      // The requests (a client that rejected the certificate sends none),
      // answered so that the client need not wait for its timeout.
      char buffer[4096];
      for (int i = 1; i <= config.requests && SSL_read(ssl.get(), buffer, sizeof(buffer)) > 0;
           ++i) {
        saw->requests = i;
        const bool last = i == config.requests;
        if (last && config.mute_last) {
          drain_tls_until_eof(ssl.get());
          break;
        }
        const std::string reply = std::string("HTTP/1.1 204 No Content\r\n") +
                                  (last ? "Connection: close\r\n" : "") + "\r\n";
        SSL_write(ssl.get(), reply.data(), static_cast<int>(reply.size()));
      }
      SSL_shutdown(ssl.get());
    }
    ERR_clear_error();  // this thread's queue; keep it tidy
  };
}

// ---------------------------------------------------------------------------
// The probe as ssm-reach runs it: TCP, and from its callback the HTTPS
// exchange on that socket, whose handshake is observed, in one loop.

struct Chain {
  std::optional<TcpResult> tcp;
  std::optional<HttpResponse> http;
  std::optional<TlsResult> tls;
  int callbacks = 0;
};

void add_chain(EventLoop& loop, const std::shared_ptr<HttpClient>& client, Chain* out,
               std::uint16_t port, const std::string& server_name,
               std::shared_ptr<const TrustAnchors> anchors, Duration timeout) {
  HttpRequest request;
  request.url = "https://" + server_name + ":" + std::to_string(port) + "/";
  request.pin_address = IpAddress{Family::v4, "127.0.0.1"};
  request.timeout = timeout;
  request.trust = std::move(anchors);
  request.client = client;
  request.tls_evidence = true;
  loop.add(make_tcp_task({Family::v4, "127.0.0.1"}, port, 3s,
                         [&loop, client, out, request](TcpResult tcp, UniqueFd socket) {
                           out->tcp = std::move(tcp);
                           if (out->tcp->outcome != TcpOutcome::ok) return;
                           // The peer accepts this one connection only.
                           add_connected_socket(*client, std::move(socket));
                           loop.add(make_http_task(request, [out](HttpResponse response) {
                             ++out->callbacks;
                             out->tls = response.tls;
                             out->http = std::move(response);
                           }));
                         }));
}

Chain probe(std::uint16_t port, const std::string& server_name,
            std::shared_ptr<const TrustAnchors> anchors = lab_anchors(), Duration timeout = 3s) {
  Chain out;
  EventLoop loop;
  add_chain(loop, make_http_client(), &out, port, server_name, std::move(anchors), timeout);
  loop.run(Clock::now() + 10s);
  REQUIRE(out.tcp);
  REQUIRE(out.tcp->outcome == TcpOutcome::ok);
  REQUIRE(out.http);
  REQUIRE(out.tls);
  CHECK(out.callbacks == 1);
  return out;
}

// The handshake against one TLS server configuration; server_saw filled in.
Chain probe_server(ServerConfig config, const std::string& server_name, ServerSaw* saw,
                   std::shared_ptr<const TrustAnchors> anchors = lab_anchors()) {
  Peer peer(tls_server(std::move(config), saw));
  Chain out = probe(peer.port(), server_name, std::move(anchors));
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

TEST_CASE("tls: the run's trust anchors verify, shared by reference, parsed once") {
  auto anchors = anchors_from(lab().ca_pem.path());
  // The request holds its reference: the anchors outlive the caller's.
  std::weak_ptr<const TrustAnchors> watched = anchors;
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw, std::move(anchors));
  CHECK_MESSAGE(chain.tls->verified(), codes(*chain.tls));
  CHECK(watched.expired());  // and nothing kept them after the run
}

TEST_CASE("tls to a valid server: TLS 1.3, verified, leaf described, SNI sent") {
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw);
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
  CHECK(saw.handshake_ok);
  CHECK(saw.server_name == "ssm.lab.test");
  // The same handshake carried the HTTP exchange.
  CHECK(chain.http->outcome == HttpOutcome::ok);
  CHECK(chain.http->status == 204);
  CHECK(saw.requests == 1);
}

TEST_CASE("tls reports the negotiated version of a TLS 1.2 server") {
  ServerSaw saw;
  Chain chain =
      probe_server({.leaf = &lab().valid, .max_version = TLS1_2_VERSION}, "ssm.lab.test", &saw);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::ok, chain.tls->error);
  CHECK(chain.tls->verified());
  CHECK(chain.tls->version == "TLSv1.2");
  CHECK_FALSE(chain.tls->cipher.empty());
}

TEST_CASE("tls records a host name mismatch and still describes the leaf") {
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().wrong_name}, "ssm.lab.test", &saw);
  const TlsResult& tls = *chain.tls;
  CHECK(tls.outcome == TlsOutcome::ok);
  CHECK_FALSE(tls.verified());
  CHECK_MESSAGE(has_error(tls, X509_V_ERR_HOSTNAME_MISMATCH, 0), codes(tls));
  CHECK(tls.verify_errors.size() == 1);  // the chain itself is fine
  CHECK(tls.sans == std::vector<std::string>{"wrong.lab.test"});
  CHECK(tls.subject == "CN=wrong.lab.test,O=ssm-reach lab");
  // libcurl refused the connection: no request reached the server.
  CHECK(chain.http->outcome == HttpOutcome::error);
  CHECK(saw.requests == 0);
}

TEST_CASE("tls records an expired certificate with its validity") {
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().expired}, "ssm.lab.test", &saw);
  const TlsResult& tls = *chain.tls;
  CHECK(tls.outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(tls, X509_V_ERR_CERT_HAS_EXPIRED, 0), codes(tls));
  CHECK(tls.not_before == "2020-01-01T00:00:00Z");
  CHECK(tls.not_after == "2021-01-01T00:00:00Z");
  CHECK(tls.verify_errors.front().text == "certificate has expired");
}

TEST_CASE("tls records a certificate that is not yet valid") {
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().not_yet_valid}, "ssm.lab.test", &saw);
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_CERT_NOT_YET_VALID, 0), codes(*chain.tls));
  CHECK(chain.tls->not_before == "2098-01-01T00:00:00Z");
}

TEST_CASE("tls through an inspecting proxy: untrusted issuer, named") {
  ServerSaw saw;
  SUBCASE("the proxy sends only its leaf") {
    Chain chain = probe_server({.leaf = &lab().inspected}, "ssm.lab.test", &saw);
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
                     "ssm.lab.test", &saw);
    const TlsResult& tls = *chain.tls;
    CHECK(tls.outcome == TlsOutcome::ok);
    CHECK_MESSAGE(has_error(tls, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 1), codes(tls));
    CHECK(tls.issuer_cn == "Corp Inspection CA");
  }
}

TEST_CASE("tls records a self-signed leaf") {
  ServerSaw saw;
  Chain chain = probe_server({.leaf = &lab().self_signed}, "ssm.lab.test", &saw);
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0),
                codes(*chain.tls));
  CHECK(chain.tls->issuer_cn == "ssm.lab.test");
}

TEST_CASE("tls trusts the run's anchors and nothing else") {
  // A bundle with another CA only: OpenSSL's default paths (the host's
  // whole system store) are never consulted.
  PemFile other{{lab().inspection_ca.cert.get()}};
  ServerSaw saw;
  Chain chain =
      probe_server({.leaf = &lab().valid}, "ssm.lab.test", &saw, anchors_from(other.path()));
  CHECK(chain.tls->outcome == TlsOutcome::ok);
  CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0),
                codes(*chain.tls));
}

TEST_CASE("tls to an IP literal: no SNI, verified against IP SANs") {
  SUBCASE("matching IP SAN") {
    ServerSaw saw;
    Chain chain = probe_server({.leaf = &lab().valid}, "127.0.0.1", &saw);
    CHECK(chain.tls->outcome == TlsOutcome::ok);
    CHECK_MESSAGE(chain.tls->verified(), codes(*chain.tls));
    CHECK(saw.handshake_ok);
    CHECK(saw.server_name.empty());  // RFC 6066: no IP literals in SNI
  }
  SUBCASE("no such IP SAN") {
    ServerSaw saw;
    Chain chain = probe_server({.leaf = &lab().valid}, "127.0.0.2", &saw);
    CHECK(chain.tls->outcome == TlsOutcome::ok);
    CHECK_MESSAGE(has_error(*chain.tls, X509_V_ERR_IP_ADDRESS_MISMATCH, 0), codes(*chain.tls));
  }
}

TEST_CASE("tls to a plain HTTP server is a protocol failure") {
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
  Chain chain = probe(http.port(), "ssm.lab.test");
  const TlsResult& tls = *chain.tls;
  CHECK_MESSAGE(tls.outcome == TlsOutcome::protocol, tls.error);
  CHECK(tls.error.find("wrong version number") != std::string::npos);
  CHECK(tls.version.empty());
  CHECK(tls.subject.empty());
}

TEST_CASE("tls to a peer that accepts and closes reports closed") {
  Peer closer([](int) {});  // the connection closes as the handler returns
  Chain chain = probe(closer.port(), "ssm.lab.test");
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::closed, chain.tls->error);
  CHECK_FALSE(chain.tls->error.empty());
}

TEST_CASE("tls to a peer that reads the ClientHello and hangs up reports closed") {
  // Reading first means a clean FIN, not a reset: OpenSSL 3 reports this EOF
  // without close_notify as an SSL error, which must still count as closed.
  Peer reader([](int fd) {
    char buffer[4096];
    (void)::recv(fd, buffer, sizeof(buffer), 0);
  });
  Chain chain = probe(reader.port(), "ssm.lab.test");
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::closed, chain.tls->error);
  // OpenSSL's "unexpected eof while reading" on a socket BIO; libcurl's
  // BIO reports no EOF of its own, so the words are ssm-reach's.
  std::string words = chain.tls->error;
  std::transform(words.begin(), words.end(), words.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK_MESSAGE(words.find("unexpected eof") != std::string::npos, chain.tls->error);
}

TEST_CASE("tls to a peer that never speaks times out on the exchange's timeout") {
  Peer silent([](int fd) { drain_until_eof(fd); });
  Chain chain = probe(silent.port(), "ssm.lab.test", lab_anchors(), 300ms);
  CHECK(chain.tls->outcome == TlsOutcome::timeout);
  CHECK(chain.tls->ms >= 299.0);  // never earlier than the timeout
  CHECK(chain.tls->error.find("no ServerHello") != std::string::npos);
  CHECK(chain.http->outcome == HttpOutcome::timeout);
}

TEST_CASE("tls handshake abandoned by the run's deadline reports a timeout") {
  Peer silent([](int fd) { drain_until_eof(fd); });
  Chain chain;
  EventLoop loop;
  add_chain(loop, make_http_client(), &chain, silent.port(), "ssm.lab.test", lab_anchors(), 30s);
  CHECK_FALSE(loop.run(Clock::now() + 300ms));
  REQUIRE(chain.tls);
  CHECK(chain.callbacks == 1);
  CHECK(chain.tls->outcome == TlsOutcome::timeout);
  CHECK(chain.tls->error.find("no ServerHello") != std::string::npos);
}

TEST_CASE("tls to a server that offers only TLS 1.1 is a protocol failure") {
  ServerSaw saw;
  // Security level 0: OpenSSL 3 refuses TLS 1.1 at the default level 1.
  Chain chain = probe_server({.leaf = &lab().valid,
                              .min_version = TLS1_VERSION,
                              .max_version = TLS1_1_VERSION,
                              .security_level = 0},
                             "ssm.lab.test", &saw);
  CHECK_MESSAGE(chain.tls->outcome == TlsOutcome::protocol, chain.tls->error);
  CHECK_FALSE(saw.handshake_ok);
  CHECK(chain.tls->error.find("protocol version") != std::string::npos);
}

TEST_CASE("tls: an exchange that never connected has no TLS evidence") {
  // A port nobody listens on: refused, so no handshake was ever tried.
  UniqueFd placeholder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(placeholder.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(placeholder.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t length = sizeof(addr);
  REQUIRE(::getsockname(placeholder.get(), reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  HttpRequest request;
  request.url = "https://ssm.lab.test:" + std::to_string(ntohs(addr.sin_port)) + "/";
  request.pin_address = IpAddress{Family::v4, "127.0.0.1"};
  request.timeout = 3s;
  request.trust = lab_anchors();
  request.tls_evidence = true;
  std::optional<HttpResponse> response;
  EventLoop loop;
  loop.add(make_http_task(request, [&](HttpResponse r) { response = std::move(r); }));
  CHECK(loop.run(Clock::now() + 10s));
  REQUIRE(response);
  CHECK(response->outcome == HttpOutcome::refused);
  CHECK_FALSE(response->tls);
}

TEST_CASE("tls: a request on the kept-alive connection made no handshake, TLS counts as done") {
  // The signed call that follows an address's GET /: its connection's
  // handshake verified before, so even a timeout is the request's own
  // answer (the server got it), never "not reached".
  for (const bool mute : {false, true}) {
    CAPTURE(mute);
    ServerSaw saw;
    Peer peer(tls_server({.leaf = &lab().valid, .requests = 2, .mute_last = mute}, &saw));
    Chain first;
    std::optional<HttpResponse> second;
    EventLoop loop;
    auto client = make_http_client();
    add_chain(loop, client, &first, peer.port(), "ssm.lab.test", lab_anchors(), 3s);
    CHECK(loop.run(Clock::now() + 10s));
    REQUIRE(first.tls);
    REQUIRE(first.tls->verified());
    HttpRequest follow;
    follow.url = "https://ssm.lab.test:" + std::to_string(peer.port()) + "/";
    follow.pin_address = IpAddress{Family::v4, "127.0.0.1"};
    follow.timeout = 300ms;
    follow.trust = lab_anchors();
    follow.client = client;
    loop.add(make_http_task(follow, [&](HttpResponse r) { second = std::move(r); }));
    CHECK(loop.run(Clock::now() + 10s));
    REQUIRE(second);
    CHECK(second->tls_done);
    CHECK(second->connected);
    CHECK_FALSE(second->tls);  // no handshake observed: none was made
    if (mute) {
      CHECK(second->outcome == HttpOutcome::timeout);
    } else {
      CHECK(second->outcome == HttpOutcome::ok);
      CHECK(second->status == 204);
    }
    peer.join();
    CHECK(saw.requests == 2);  // both on the one connection the peer accepted
  }
}

TEST_CASE("concurrent handshakes in one loop keep their own errors") {
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

  // One client for all, as in a run: each handshake still keeps its own.
  Chain to_valid, to_expired, to_http, to_closer;
  EventLoop loop;
  auto client = make_http_client();
  add_chain(loop, client, &to_valid, valid.port(), "ssm.lab.test", lab_anchors(), 3s);
  add_chain(loop, client, &to_http, http.port(), "ssm.lab.test", lab_anchors(), 3s);
  add_chain(loop, client, &to_expired, expired.port(), "ssm.lab.test", lab_anchors(), 3s);
  add_chain(loop, client, &to_closer, closer.port(), "ssm.lab.test", lab_anchors(), 3s);
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
