#include "probe/util/atomic_file.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace ssmreach;

namespace {

// A fresh directory below TMPDIR (or /tmp), removed at the end of the test.
struct ScratchDirectory {
  std::filesystem::path path;
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "atomic-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the umask for one scope.
struct ScopedUmask {
  mode_t saved;
  explicit ScopedUmask(mode_t mask) : saved(::umask(mask)) {}
  ~ScopedUmask() { ::umask(saved); }
};

}  // namespace

TEST_CASE("atomic file: a symlink planted where the old PATH.tmp went is not followed") {
  // As root in a shared folder, a predictable temporary name opened with
  // O_CREAT|O_TRUNC would truncate whatever a local user links it to.
  ScratchDirectory dir;
  const auto victim = dir.path / "victim";
  std::ofstream(victim) << "keep";
  const auto file = dir.path / "report.json";
  std::filesystem::create_symlink(victim, file.string() + ".tmp");

  std::string error;
  REQUIRE(write_file_atomically(file.string(), "{}\n", std::nullopt, &error));
  CHECK(contents(victim) == "keep");
  CHECK(contents(file) == "{}\n");
  CHECK(std::filesystem::is_symlink(file.string() + ".tmp"));  // left as it was
}

TEST_CASE("atomic file: modes and leftovers") {
  ScratchDirectory dir;
  const auto file = dir.path / "out.json";
  std::string error;
  {
    ScopedUmask umask(027);
    REQUIRE(write_file_atomically(file.string(), "a", std::nullopt, &error));
    CHECK(mode_of(file) == 0640);  // 0666 less the umask, as open() would give
    REQUIRE(write_file_atomically(file.string(), "b", 0644, &error));
    CHECK(mode_of(file) == 0644);  // exact, whatever the umask
  }
  CHECK(contents(file) == "b");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path))
    ++entries;
  CHECK(entries == 1);

  SUBCASE("failure names the file asked for, not the temporary") {
    const auto nowhere = (dir.path / "missing" / "out.json").string();
    CHECK_FALSE(write_file_atomically(nowhere, "x", std::nullopt, &error));
    CHECK(error == nowhere + ": No such file or directory");
  }
}
