// DNS messages for the scripted resolver of the DNS tests: the question of a
// query, and replies built on the wire, well-formed or deliberately broken,
// in the manner of c-ares' own test suite (test/dns-proto.h).
//
// No DNS parser of our own: c-ares 1.18 decodes the question name
// (ares_expand_name) and encodes the reply's header and question
// (ares_create_query, the very function that built the query). Only the
// fixed 12-byte header (RFC 1035 4.1.1) and the fixed part of an answer
// record are read and written here, by offset. (<ares_dns.h> has macros
// for those, but asks not to be used.)
#pragma once

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace testing {

// What a query asks.
struct DnsQuestion {
  std::uint16_t id = 0;
  std::string name;        // as sent: the case is kept
  std::uint16_t type = 0;  // ns_t_a, ns_t_aaaa, ...
  bool recursion_desired = false;
};

namespace dns_wire {

constexpr std::size_t kHeaderSize = 12;

inline std::uint16_t get16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

inline void put16(unsigned char* p, unsigned value) {
  p[0] = static_cast<unsigned char>(value >> 8 & 0xFF);
  p[1] = static_cast<unsigned char>(value & 0xFF);
}

struct StringDeleter {
  void operator()(void* p) const noexcept { ares_free_string(p); }
};

}  // namespace dns_wire

// The first question of a query; nullopt when the bytes are not a query with
// one (too short, a response, a name c-ares cannot decode).
inline std::optional<DnsQuestion> read_question(std::span<const unsigned char> query) {
  using namespace dns_wire;
  if (query.size() < kHeaderSize || query.size() > INT_MAX) return std::nullopt;
  const unsigned char* header = query.data();
  const bool is_response = (header[2] & 0x80) != 0;
  if (is_response || get16(header + 4) == 0) return std::nullopt;  // QR, QDCOUNT

  char* raw_name = nullptr;
  long encoded_length = 0;
  if (ares_expand_name(header + kHeaderSize, header, static_cast<int>(query.size()), &raw_name,
                       &encoded_length) != ARES_SUCCESS)
    return std::nullopt;
  std::unique_ptr<char, StringDeleter> name(raw_name);
  const std::size_t type_at = kHeaderSize + static_cast<std::size_t>(encoded_length);
  if (type_at + 4 > query.size()) return std::nullopt;  // QTYPE, QCLASS

  DnsQuestion question;
  question.id = get16(header);
  question.name = name.get();
  question.type = get16(header + type_at);
  question.recursion_desired = (header[2] & 0x01) != 0;
  return question;
}

// A reply to one question: its ID and question echoed, QR and RA set, then
// whatever the test asks for. The builder never checks that the result is
// sensible; breaking it is part of its job.
class DnsReply {
 public:
  explicit DnsReply(const DnsQuestion& question) : question_(question) {}

  DnsReply& rcode(int code) {
    rcode_ = code;
    return *this;
  }

  // Sets TC: "this answer did not fit, ask again over TCP".
  DnsReply& truncated() {
    truncated_ = true;
    return *this;
  }

  // Adds an A record (IPv4 literal) or AAAA record (IPv6 literal) for the
  // question's name, whatever type was asked.
  DnsReply& address(const std::string& literal, std::uint32_t ttl = 60) {
    Record record{};
    record.ttl = ttl;
    if (::inet_pton(AF_INET, literal.c_str(), record.data) == 1) {
      record.type = ns_t_a;
      record.size = 4;
    } else {
      REQUIRE(::inet_pton(AF_INET6, literal.c_str(), record.data) == 1);
      record.type = ns_t_aaaa;
      record.size = 16;
    }
    answers_.push_back(record);
    return *this;
  }

  // The message on the wire (as in a UDP datagram: no TCP length prefix).
  std::vector<unsigned char> bytes() const {
    using namespace dns_wire;
    unsigned char* raw = nullptr;
    int length = 0;
    REQUIRE(ares_create_query(question_.name.c_str(), ns_c_in, question_.type, question_.id,
                              question_.recursion_desired ? 1 : 0, &raw, &length,
                              0 /* no EDNS */) == ARES_SUCCESS);
    std::unique_ptr<unsigned char, StringDeleter> owned(raw);
    std::vector<unsigned char> out(raw, raw + length);

    out[2] = static_cast<unsigned char>(0x80 | (truncated_ ? 0x02 : 0) |
                                        (question_.recursion_desired ? 0x01 : 0));  // QR TC RD
    out[3] = static_cast<unsigned char>(0x80 | (rcode_ & 0x0F));                    // RA, RCODE
    put16(&out[6], static_cast<unsigned>(answers_.size()));                         // ANCOUNT
    for (const Record& record : answers_) {
      unsigned char fixed[12] = {0xC0, 0x0C};  // owner: pointer to the question's name
      put16(fixed + 2, record.type);
      put16(fixed + 4, ns_c_in);
      put16(fixed + 6, record.ttl >> 16);
      put16(fixed + 8, record.ttl & 0xFFFF);
      put16(fixed + 10, record.size);
      out.insert(out.end(), fixed, fixed + sizeof fixed);
      out.insert(out.end(), record.data, record.data + record.size);
    }
    return out;
  }

  // The same message with its last `drop` bytes lost: with answers, a
  // header and question that still match the query but an answer section
  // that ends inside a record.
  std::vector<unsigned char> cut(std::size_t drop) const {
    std::vector<unsigned char> out = bytes();
    out.resize(out.size() > drop ? out.size() - drop : 0);
    return out;
  }

 private:
  struct Record {
    std::uint16_t type;
    std::uint32_t ttl;
    std::uint16_t size;
    unsigned char data[16];
  };

  DnsQuestion question_;
  int rcode_ = ns_r_noerror;
  bool truncated_ = false;
  std::vector<Record> answers_;
};

// `size` bytes that are no DNS message, except that they start with the
// query's ID (so only their content can make the client reject them) and do
// not set TC (which would send the client to TCP before it reads the rest).
inline std::vector<unsigned char> garbage_reply(std::uint16_t id, std::size_t size = 40) {
  std::vector<unsigned char> out(std::max<std::size_t>(size, dns_wire::kHeaderSize), 0xFF);
  dns_wire::put16(out.data(), id);
  out[2] &= static_cast<unsigned char>(~0x02);
  return out;
}

}  // namespace testing
