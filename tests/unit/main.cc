#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <string>

#include "netcheck/init.h"

int main(int argc, char** argv) {
  std::string error;
  if (!netcheck::global_init(&error)) {
    fprintf(stderr, "netcheck init failed: %s\n", error.c_str());
    return 1;
  }
  return doctest::Context(argc, argv).run();
}
