#include "probe/util/output_file.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "netcheck/unique_fd.h"
#include "tests/unit/scratch.h"

namespace ssmreach {
namespace {

bool refused(const std::string& path, const char* words, bool force = false) {
  const auto why = refuse_output_path(path, force);
  if (!why) return false;
  CAPTURE(*why);
  CHECK(why->starts_with(path.substr(0, 20)));
  CHECK(why->find('\n') == std::string::npos);
  CHECK(why->find(words) != std::string::npos);
  return true;
}

}  // namespace

TEST_CASE("output path: stdout, new names, empty files and earlier reports are written") {
  testing::TempDir dir;
  CHECK_FALSE(refuse_output_path("-", false));
  CHECK_FALSE(refuse_output_path(dir.path("new.json"), false));
  CHECK_FALSE(refuse_output_path(dir.write("empty.json", ""), false));
  CHECK_FALSE(refuse_output_path(
      dir.write("evidence.json", "{\n  \"schema\": \"ssm-reach-evidence/v1\",\n  \"context\": {"),
      false));
  CHECK_FALSE(
      refuse_output_path(dir.write("boot.json", "{\"schema\":\"ssm-reach/v1\",\"status\""), false));
}

TEST_CASE("output path: another regular file is replaced only with --force") {
  testing::TempDir dir;
  const auto passwd = dir.write("passwd", "root:x:0:0:root:/root:/bin/bash\n");
  CHECK(refused(passwd, "not an earlier ssm-reach report or evidence file"));
  CHECK(refused(passwd, "--force"));
  CHECK_FALSE(refuse_output_path(passwd, true));
  // A report of another tool, or one that only mentions the schema later.
  CHECK(refused(dir.write("other.json", "{\"schema\": \"other/v1\"}"), "not replaced"));
  CHECK(
      refused(dir.write("later.json", "{\"a\": 1, \"schema\": \"ssm-reach/v1\"}"), "not replaced"));
}

TEST_CASE("output path: devices, FIFOs, sockets, directories and links are refused") {
  testing::TempDir dir;
  CHECK(refused("/dev/null", "is a character device, not a regular file"));
  CHECK(refused("/dev/null", "- writes to stdout"));
  CHECK(refused("/dev/null", "a character device", /*force=*/true));

  const auto fifo = dir.path("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(refused(fifo, "is a FIFO"));

  const auto socket_path = dir.path("socket");
  netcheck::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  CHECK(refused(socket_path, "is a socket"));

  CHECK(refused(dir.dir(), "is a directory; give a file name in it"));
  CHECK(refused(dir.dir() + "/", "is a directory"));
  CHECK(refused(dir.path("missing/"), "ends in '/'"));

  const auto to_device = dir.path("stdout");
  std::filesystem::create_symlink("/dev/null", to_device);
  CHECK(refused(to_device, "is a symbolic link (to /dev/null)"));
  CHECK(refused(to_device, "or - for stdout"));
  const auto to_file = dir.path("link.json");
  std::filesystem::create_symlink(dir.write("target.json", ""), to_file);
  CHECK(refused(to_file, "symbolic link", /*force=*/true));
}

TEST_CASE("output path: a name with control characters is printed escaped") {
  testing::TempDir dir;
  const auto why = refuse_output_path(dir.write("a\x1b[2Jb", "x"), false);
  REQUIRE(why);
  CHECK(why->find('\x1b') == std::string::npos);
  CHECK(why->find("a\\x1b[2Jb") != std::string::npos);
}

TEST_CASE("looks_like_ssm_reach_output reads only the opening of the document") {
  CHECK(looks_like_ssm_reach_output("{\"schema\": \"ssm-reach/v1\""));
  CHECK(looks_like_ssm_reach_output(" {\n  \"schema\" : \"ssm-reach-evidence/v1\"}"));
  CHECK_FALSE(looks_like_ssm_reach_output("{\"schema\": \"ssm-reach/v2\""));
  CHECK_FALSE(looks_like_ssm_reach_output("[\"schema\", \"ssm-reach/v1\"]"));
  CHECK_FALSE(looks_like_ssm_reach_output(""));
}

}  // namespace ssmreach
