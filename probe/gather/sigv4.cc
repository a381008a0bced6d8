#include "probe/gather/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include "netcheck/text.h"

namespace ssmreach {
namespace {

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";

using Digest = std::array<unsigned char, 32>;  // SHA-256

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return hex(digest.data(), size);
}

Digest hmac_sha256(const void* key, std::size_t key_size, std::string_view data) {
  Digest out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_size),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return out;
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request"). Intermediate keys are wiped: they are as good as the
// secret for a day.
Digest signing_key(const std::string& secret, const std::string& date, const SigningScope& scope) {
  std::string first_key = "AWS4" + secret;
  Digest date_key = hmac_sha256(first_key.data(), first_key.size(), date);
  OPENSSL_cleanse(first_key.data(), first_key.size());
  Digest region_key = hmac_sha256(date_key.data(), date_key.size(), scope.region);
  Digest service_key = hmac_sha256(region_key.data(), region_key.size(), scope.service);
  Digest key = hmac_sha256(service_key.data(), service_key.size(), "aws4_request");
  OPENSSL_cleanse(date_key.data(), date_key.size());
  OPENSSL_cleanse(region_key.data(), region_key.size());
  OPENSSL_cleanse(service_key.data(), service_key.size());
  return key;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 3986 percent-encoding of every byte but the unreserved ones, upper-case
// hex, as SigV4 requires for query names and values.
std::string uri_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0x0f];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes %XX escapes so that a query already encoded on the wire and one
// given raw canonicalise alike. '+' stays '+' (it is not a space in SigV4).
std::string uri_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// The path with "." and ".." segments resolved and empty segments dropped,
// keeping a trailing slash: the suite's normalize-path cases ("/./",
// "/example/..", "//example//" is "/example/"). Not for S3, which signs the
// path as sent; ssm-reach never signs S3 requests.
std::string canonical_uri(const std::string& path) {
  std::vector<std::string_view> segments;
  const std::string_view text = path;
  bool trailing_slash = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('/', start), text.size());
    const std::string_view segment = text.substr(start, end - start);
    const bool last = end == text.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else if (segment == ".") {
      trailing_slash = last;
    } else if (!segment.empty()) {
      segments.push_back(segment);
      trailing_slash = false;
    } else {
      trailing_slash = last && end > 0;
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

// Every name=value pair decoded, re-encoded and sorted by name, then value;
// a name without '=' gets an empty value.
std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view item = std::string_view(query).substr(start, end - start);
    if (!item.empty()) {
      const std::size_t equals = item.find('=');
      const std::string_view name = item.substr(0, equals);
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view() : item.substr(equals + 1);
      pairs.emplace_back(uri_encode(uri_decode(name)), uri_encode(uri_decode(value)));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

// Leading and trailing blanks removed, every inner run of blanks one space.
std::string trimmed_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Lower-case name -> values in the order given, joined with ','; the map
// keeps the names sorted as the canonical form wants.
std::map<std::string, std::string> canonical_header_map(const HeaderList& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    auto [it, inserted] = out.try_emplace(netcheck::ascii_lower(name), trimmed_value(value));
    if (!inserted) it->second += ',' + trimmed_value(value);
  }
  return out;
}

std::string signed_header_names(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& entry : headers) {
    if (!out.empty()) out += ';';
    out += entry.first;
  }
  return out;
}

std::string credential_scope(const SigningScope& scope) {
  return scope.amz_date.substr(0, 8) + '/' + scope.region + '/' + scope.service + "/aws4_request";
}

}  // namespace

std::string canonical_request(const SignableRequest& request) {
  const auto headers = canonical_header_map(request.headers);
  std::string out = request.method + '\n';
  out += canonical_uri(request.path) + '\n';
  out += canonical_query(request.query) + '\n';
  for (const auto& [name, value] : headers) out += name + ':' + value + '\n';
  out += '\n';
  out += signed_header_names(headers) + '\n';
  out += sha256_hex(request.body);
  return out;
}

std::string string_to_sign(const SignableRequest& request, const SigningScope& scope) {
  return std::string(kAlgorithm) + '\n' + scope.amz_date + '\n' + credential_scope(scope) + '\n' +
         sha256_hex(canonical_request(request));
}

std::string authorization_header(const SignableRequest& request, const SigningScope& scope,
                                 const AwsCredentials& credentials) {
  Digest key = signing_key(credentials.secret_access_key, scope.amz_date.substr(0, 8), scope);
  const Digest signature = hmac_sha256(key.data(), key.size(), string_to_sign(request, scope));
  OPENSSL_cleanse(key.data(), key.size());
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
         credential_scope(scope) +
         ", SignedHeaders=" + signed_header_names(canonical_header_map(request.headers)) +
         ", Signature=" + hex(signature.data(), signature.size());
}

HeaderList sign_request(const SignableRequest& request, const SigningScope& scope,
                        const AwsCredentials& credentials) {
  // The signing headers are ours: any the caller passed would be signed
  // twice (joined with ',') and no longer match what is sent.
  SignableRequest signable = request;
  std::erase_if(signable.headers, [](const auto& header) {
    const std::string name = netcheck::ascii_lower(header.first);
    return name == "x-amz-date" || name == "x-amz-security-token" || name == "authorization";
  });
  HeaderList added = {{"X-Amz-Date", scope.amz_date}};
  if (!credentials.session_token.empty()) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  signable.headers.insert(signable.headers.end(), added.begin(), added.end());
  added.emplace_back("Authorization", authorization_header(signable, scope, credentials));
  return added;
}

std::string amz_date_from_unix(long long unix_seconds) {
  const auto time = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  std::array<char, 32> text{};
  const std::size_t size = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(text.data(), size);
}

}  // namespace ssmreach
