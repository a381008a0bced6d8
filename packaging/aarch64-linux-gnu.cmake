# Cross toolchain for the arm64 release on Debian 12 (multiarch):
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install crossbuild-essential-arm64 libssl-dev:arm64 \
#     libc-ares-dev:arm64 qemu-user-static
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Multiarch libraries live in /usr/lib/aarch64-linux-gnu; CMake finds them
# through CMAKE_LIBRARY_ARCHITECTURE, taken from the compiler.

# pkg-config would otherwise answer with the build machine's x86_64 paths
# (FindOpenSSL asks it first).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# Test binaries (doctest discovery, ctest) run under user-mode QEMU.
find_program(QEMU_AARCH64 qemu-aarch64-static)
if(QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${QEMU_AARCH64})
endif()
