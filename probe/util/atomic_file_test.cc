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

TEST_CASE("atomic file: only a regular file is replaced, never a device, FIFO or link") {
  // A rename over a device node replaces the node itself: as root,
  // --save-evidence /dev/null used to turn /dev/null into a JSON file.
  ScratchDirectory dir;
  const auto fifo = dir.path / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto link = dir.path / "stdout";
  std::filesystem::create_symlink("/dev/null", link);
  for (const auto& path : {fifo, link, dir.path}) {
    CAPTURE(path);
    std::string error;
    CHECK_FALSE(write_file_atomically(path.string(), "{}\n", std::nullopt, &error));
    CHECK(error.find("not a regular file; not replaced") != std::string::npos);
  }
  CHECK(std::filesystem::is_fifo(fifo));
  CHECK(std::filesystem::is_symlink(link));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator()) == 2);  // no temporary left
}

TEST_CASE("atomic file: a name of NAME_MAX bytes is written (the temporary name is cut)") {
  ScratchDirectory dir;
  const auto file = dir.path / std::string(255, 'n');
  std::string error;
  REQUIRE(write_file_atomically(file.string(), "{}\n", std::nullopt, &error));
  CHECK(contents(file) == "{}\n");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator()) == 1);
  const auto short_name = dir.path / std::string(248, 's');  // 248 + ".XXXXXX" = 255
  REQUIRE(write_file_atomically(short_name.string(), "x", std::nullopt, &error));
  CHECK(contents(short_name) == "x");
}
