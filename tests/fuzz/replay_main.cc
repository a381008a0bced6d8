// Replays inputs through the fuzz targets' entry points without libFuzzer:
//   fuzz_replay TARGET PATH...
// Each PATH is a file or a folder (every regular file in it, in name order;
// a folder that does not exist is skipped: not every target has
// regressions). A crash or a violated property aborts, which fails the test;
// the last "replaying" line names the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_TARGET(name) \
  extern "C" int ssm_reach_fuzz_##name(const std::uint8_t* data, std::size_t size);
#include "fuzz_targets.inc"
#undef FUZZ_TARGET

namespace {

struct FuzzTarget {
  std::string_view name;
  int (*run)(const std::uint8_t*, std::size_t);
};

constexpr FuzzTarget kTargets[] = {
#define FUZZ_TARGET(name) {#name, ssm_reach_fuzz_##name},
#include "fuzz_targets.inc"
#undef FUZZ_TARGET
};

std::vector<std::filesystem::path> inputs_at(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  } else if (std::filesystem::exists(path)) {
    files.push_back(path);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET PATH...\n");
    return 2;
  }
  const std::string_view name = argv[1];
  const auto* target = std::find_if(std::begin(kTargets), std::end(kTargets),
                                    [&](const FuzzTarget& t) { return t.name == name; });
  if (target == std::end(kTargets)) {
    std::fprintf(stderr, "fuzz_replay: no target '%s'\n", argv[1]);
    return 2;
  }
  std::size_t count = 0;
  for (int i = 2; i < argc; ++i) {
    for (const auto& file : inputs_at(argv[i])) {
      std::printf("replaying %s\n", file.c_str());
      std::fflush(stdout);
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      target->run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "fuzz_replay: no input for %s\n", argv[1]);
    return 1;
  }
  std::printf("fuzz_replay: %s: %zu inputs, no crash\n", argv[1], count);
  return 0;
}
