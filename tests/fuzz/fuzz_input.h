// Helpers shared by the libFuzzer targets (tests/fuzz/*_fuzz.cc): cutting
// one input into the several texts a parser reads together, and a scratch
// folder for the readers that take a path rather than a text.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ssmreach::fuzz {

// Separates the parts of a multi-part input: a line of its own, easy to
// write in a seed file and listed in the dictionaries.
inline constexpr std::string_view kPartSeparator = "\n@@@@\n";

// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `count` parts of `text`, cut at kPartSeparator; missing parts are empty,
// the last part keeps any further separators.
inline std::vector<std::string> split_parts(std::string_view text, std::size_t count) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < count) {
    const auto at = text.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    parts.emplace_back(text.substr(0, at));
    text.remove_prefix(at + kPartSeparator.size());
  }
  parts.emplace_back(text);
  parts.resize(count);
  return parts;
}

// One folder per process below the temporary folder, removed at exit; the
// readers under test take paths. With -jobs each worker has its own.
class ScratchDir {
 public:
  static ScratchDir& get() {
    static ScratchDir dir;
    return dir;
  }
  const std::string& path() const { return path_; }
  // Writes `content` at `relative` (made of folders as needed) and returns
  // the absolute path.
  std::string write(const std::string& relative, std::string_view content) const {
    const std::filesystem::path file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return file.string();
  }
  // Removes everything below the folder (not the folder itself).
  void clear() const {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ignored))
      std::filesystem::remove_all(entry.path(), ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ssm-reach-fuzz.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("ssm-reach fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string path_;
};

// Aborts (a crash the fuzzer reports) when a property of the code under
// test does not hold; unlike assert() it is not compiled out.
inline void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "ssm-reach fuzz: property violated: %s\n", what);
    std::abort();
  }
}

}  // namespace ssmreach::fuzz
