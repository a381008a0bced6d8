#include "netcheck/trust_anchors.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "netcheck/embedded_roots.h"
#include "netcheck/openssl_handles.h"
#include "netcheck/unique_fd.h"

namespace netcheck {
namespace {

// Far above any real bundle (Debian's is 200 KB): a bound, not a budget.
constexpr std::size_t kMaxBundleBytes = std::size_t{16} << 20;

// The whole file, or why not (regular files only, bounded).
bool read_bundle(const std::string& path, std::string* text, std::string* why) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  struct stat info {};
  if (!fd.valid() || ::fstat(fd.get(), &info) != 0) {
    *why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    *why = "not a regular file";
    return false;
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxBundleBytes) {
    *why = "larger than 16 MiB";
    return false;
  }
  text->resize(static_cast<std::size_t>(info.st_size));
  std::size_t have = 0;
  while (have < text->size()) {
    const ssize_t n = ::read(fd.get(), text->data() + have, text->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  text->resize(have);
  return true;
}

// A certificate block's DER, as X509 (TRUSTED CERTIFICATE: with OpenSSL's
// trust settings); nullptr for other blocks (CRLs, keys) and for ones that do
// not parse.
X509* certificate_of(const char* name, const unsigned char* der, long length) {
  const std::string_view kind = name;
  const unsigned char* at = der;
  if (kind == "CERTIFICATE" || kind == "X509 CERTIFICATE") return d2i_X509(nullptr, &at, length);
  if (kind == "TRUSTED CERTIFICATE") return d2i_X509_AUX(nullptr, &at, length);
  return nullptr;
}

// Every certificate of a PEM text into `store`; a block that does not parse
// is skipped, as Go's AppendCertsFromPEM does. Returns how many were added.
std::size_t add_pem_certificates(std::string_view pem, X509_STORE* store) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return 0;
  std::size_t added = 0;
  for (;;) {
    const std::size_t left_before = BIO_ctrl_pending(bio.get());
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long length = 0;
    const int got = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &length);
    OpensslMemoryPtr<char> name(raw_name);
    OpensslMemoryPtr<char> header(raw_header);
    OpensslMemoryPtr<unsigned char> data(raw_data);
    if (got != 1) {
      // "no start line": the end of the text. Any other error is a block
      // whose base64 is broken: its lines are consumed, go on.
      const unsigned long error = ERR_peek_last_error();
      const std::size_t left = BIO_ctrl_pending(bio.get());
      if (ERR_GET_REASON(error) == PEM_R_NO_START_LINE || left == 0 || left == left_before) break;
      ERR_clear_error();
      continue;
    }
    X509Ptr cert(certificate_of(name.get(), data.get(), length));
    if (cert && X509_STORE_add_cert(store, cert.get()) == 1) ++added;
  }
  ERR_clear_error();
  return added;
}

}  // namespace

TrustAnchors::~TrustAnchors() { X509_STORE_free(store_); }

std::shared_ptr<const TrustAnchors> TrustAnchors::load(const TrustStore& trust, std::string* why) {
  X509StorePtr store(X509_STORE_new());
  if (!store) {
    *why = "out of memory";
    return nullptr;
  }
  std::size_t added = 0;
  if (trust.embedded) {
    if (!add_embedded_amazon_roots(store.get(), why)) return nullptr;
    added = static_cast<std::size_t>(sk_X509_OBJECT_num(X509_STORE_get0_objects(store.get())));
  } else if (trust.path.empty()) {
    *why = trust.error.empty() ? "no CA bundle" : trust.error;
    return nullptr;
  } else {
    std::string pem;
    if (!read_bundle(trust.path, &pem, why)) return nullptr;
    if (pem.find_first_not_of(" \t\r\n") == std::string::npos) {
      *why = "it is empty";
      return nullptr;
    }
    added = add_pem_certificates(pem, store.get());
  }
  if (added == 0) {
    *why = "it holds no certificate that can be read (not PEM, or every certificate is damaged)";
    return nullptr;
  }
  return std::shared_ptr<const TrustAnchors>(new TrustAnchors(store.release(), added));
}

std::shared_ptr<const TrustAnchors> load_trust_anchors(TrustStore& trust) {
  std::string why;
  auto anchors = TrustAnchors::load(trust, &why);
  if (!anchors && trust.error.empty()) {
    const std::string named = trust.source == "system"      ? trust.path
                              : trust.source == "--ca-file" ? "--ca-file " + trust.path
                                                            : trust.source + "=" + trust.path;
    trust.error = named + " cannot be used: " + why;
  }
  return anchors;
}

}  // namespace netcheck
