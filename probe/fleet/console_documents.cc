#include "probe/fleet/console_documents.h"

namespace ssmreach {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

bool ConsoleDocumentSplitter::fail(std::string* error, const std::string& why) const {
  if (error) *error = "document " + std::to_string(documents_ + 1) + ": " + why;
  return false;
}

// Between documents: blanks, and a top-level array's brackets and commas.
bool ConsoleDocumentSplitter::outside(char c, std::string* error) {
  if (is_blank(c)) return true;
  if (c == '{') {
    if (array_ended_) return fail(error, "more input after the array's closing ']'");
    current_ = "{";
    depth_ = 1;
    return true;
  }
  if (c == '[' && !in_array_ && !array_ended_ && documents_ == 0) {
    in_array_ = true;
    return true;
  }
  if (in_array_ && (c == ',' || c == ']')) {
    if (c == ']') {
      in_array_ = false;
      array_ended_ = true;
    }
    return true;
  }
  return fail(error, std::string("expected a JSON object (get-console-output's), found '") +
                         (static_cast<unsigned char>(c) < 0x20 ? '?' : c) + "'");
}

bool ConsoleDocumentSplitter::inside(char c, std::vector<std::string>& out, std::string* error) {
  if (current_.size() >= kMaxDocumentBytes)
    return fail(error, "larger than " + std::to_string(kMaxDocumentBytes >> 20) +
                           " MiB (a console output is at most 64 KiB)");
  current_ += c;
  if (in_string_) {
    if (escaped_)
      escaped_ = false;
    else if (c == '\\')
      escaped_ = true;
    else if (c == '"')
      in_string_ = false;
    return true;
  }
  if (c == '"') {
    in_string_ = true;
  } else if (c == '{' || c == '[') {
    if (++depth_ > kMaxDepth)
      return fail(error, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  } else if (c == '}' || c == ']') {
    if (--depth_ == 0) {
      out.push_back(std::move(current_));
      current_.clear();
      documents_++;
    }
  }
  return true;
}

bool ConsoleDocumentSplitter::feed(std::string_view bytes, std::vector<std::string>& out,
                                   std::string* error) {
  for (char c : bytes) {
    const bool ok = depth_ == 0 ? outside(c, error) : inside(c, out, error);
    if (!ok) return false;
  }
  return true;
}

bool ConsoleDocumentSplitter::finish(std::string* error) const {
  if (depth_ > 0) return fail(error, "the input ends inside it (cut short?)");
  if (in_array_) return fail(error, "the input ends inside the array (no closing ']')");
  return true;
}

}  // namespace ssmreach
