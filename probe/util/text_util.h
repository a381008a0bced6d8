// Small text helpers shared by the diagnosis and the reports: numbers,
// lists, addresses and UTC timestamps, in the words the reports use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netcheck/endpoint.h"
#include "netcheck/text.h"

namespace ssmreach {

// The text without leading and trailing blanks (space, \t, \n, \v, \f, \r);
// netcheck's parsers use the same one.
using netcheck::trim;

// The system's words for an errno value: "No such file or directory".
std::string errno_text(int err);

// "3.0 s" from milliseconds.
std::string seconds_text(double ms);

// The items with `separator` between them.
std::string join(const std::vector<std::string>& items, std::string_view separator);

// "a", "a and b", "a, b and c".
std::string list_and(const std::vector<std::string>& items);

// "1 host", "2 hosts".
std::string count_of(std::size_t n, const char* singular, const char* plural);

// The text with its first letter in upper case.
std::string capitalized(std::string text);

bool contains(std::string_view haystack, std::string_view needle);

// The reason of an OpenSSL 3 error string: "wrong version number" from
// "error:0A00010B:SSL routines::wrong version number".
std::string openssl_reason(const std::string& error);

// "10.0.0.1:443", "[fd00::1]:443".
std::string ip_port(const netcheck::IpAddress& ip, std::uint16_t port);

// The texts of the addresses, in order.
std::vector<std::string> ip_texts(const std::vector<netcheck::IpAddress>& ips);

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS..." (UTC); nullopt when
// the text does not start like that or names no real date.
std::optional<long long> parse_utc(const std::string& text);

// "7 minutes behind", "12 s ahead": this clock against another whose time
// minus this clock's is `offset_s`.
std::string clock_offset_words(double offset_s);

// "29 days", "5 hours", "12 minutes": a gap of `seconds` (either sign).
std::string gap_text(long long seconds);

// ", 29 days later" (with `words` "later") for the gap between two UTC
// timestamps, or "" when either does not parse.
std::string gap_note(const std::string& a, const std::string& b, const char* words);

}  // namespace ssmreach
