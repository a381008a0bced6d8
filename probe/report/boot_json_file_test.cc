#include "probe/report/boot_json_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/scratch.h"

namespace ssmreach {

namespace {

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("boot.json: missing directories 0755, the file 0644, whatever the umask") {
  testing::TempDir dir;
  const std::string path = dir.path("var/log/ssm-reach/boot.json");
  const mode_t old = ::umask(077);
  std::string error;
  const bool written = write_boot_json(path, "{\"status\": \"ok\"}\n", &error);
  ::umask(old);
  REQUIRE(written);
  CHECK(error.empty());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "{\"status\": \"ok\"}\n");
  CHECK(mode_of(path) == 0644);
  CHECK(mode_of(dir.path("var/log/ssm-reach")) == 0755);
  CHECK(mode_of(dir.path("var/log")) == 0755);

  SUBCASE("a second run replaces it") {
    REQUIRE(write_boot_json(path, "{}\n", &error));
    std::ifstream again(path);
    std::stringstream second;
    second << again.rdbuf();
    CHECK(second.str() == "{}\n");
  }
}

TEST_CASE("boot.json: an unwritable place is an error naming the path") {
  testing::TempDir dir;
  const std::string blocker = dir.write("file", "x");
  std::string error;
  CHECK_FALSE(write_boot_json(blocker + "/boot.json", "{}", &error));
  CHECK(error.find(blocker) != std::string::npos);
}

}  // namespace ssmreach
