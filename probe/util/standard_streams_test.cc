#include "probe/util/standard_streams.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <string>

#include "netcheck/unique_fd.h"

namespace ssmreach {

TEST_CASE("CheckedWriter remembers the first failed write: full disk, broken pipe, closed") {
  netcheck::UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  REQUIRE(full.valid());
  CheckedWriter to_full(full.get());
  to_full.write("");
  CHECK_FALSE(to_full.failure());
  to_full.write("report\n");
  REQUIRE(to_full.failure());
  CHECK(*to_full.failure() == ENOSPC);

  // As in main(): SIGPIPE ignored, so a pipe without reader is EPIPE.
  const auto old = std::signal(SIGPIPE, SIG_IGN);
  std::array<int, 2> ends{};
  REQUIRE(::pipe(ends.data()) == 0);
  netcheck::UniqueFd read_end(ends[0]), write_end(ends[1]);
  CheckedWriter to_pipe(write_end.get());
  to_pipe.write("first\n");
  CHECK_FALSE(to_pipe.failure());
  read_end.reset();
  to_pipe.write("second\n");
  std::signal(SIGPIPE, old);
  REQUIRE(to_pipe.failure());
  CHECK(*to_pipe.failure() == EPIPE);

  // A read-only descriptor, which hold_standard_streams_open() puts where
  // stdout was closed.
  netcheck::UniqueFd read_only(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CheckedWriter to_read_only(read_only.get());
  to_read_only.write("x");
  REQUIRE(to_read_only.failure());
  CHECK(*to_read_only.failure() == EBADF);
}

TEST_CASE("CheckedWriter writes everything to a working descriptor") {
  std::array<int, 2> ends{};
  REQUIRE(::pipe(ends.data()) == 0);
  netcheck::UniqueFd read_end(ends[0]), write_end(ends[1]);
  CheckedWriter writer(write_end.get());
  writer.write("one ");
  writer.write("two\n");
  CHECK_FALSE(writer.failure());
  write_end.reset();
  std::array<char, 32> buffer{};
  const ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
  CHECK(std::string(buffer.data(), static_cast<std::size_t>(n)) == "one two\n");
}

}  // namespace ssmreach
