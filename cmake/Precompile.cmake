# Precompiled standard library headers (option SSM_REACH_PCH).
#
# Most of a debug or sanitizer build's compile time is parsing: a small
# file here spends four fifths of its time in <algorithm>, <string>,
# <chrono> and the like (g++ -ftime-report, "phase parsing"), and every one
# of the ~160 files parses them again. One precompiled header, made once
# for netcheck and reused by every other target of the build, parses them
# once. It holds only standard headers: the project's own headers and the
# libraries' (nlohmann/json, OpenSSL, curl) stay included where they are
# used, so the stage rules of probe/CMakeLists.txt still mean something.
#
# A precompiled header hides a missing #include of a standard header (the
# file compiles because the header is forced in). packaging/release builds
# without it (-DSSM_REACH_PCH=OFF), so such a file still fails a CI build.

option(SSM_REACH_PCH "Precompile the standard headers (faster builds; OFF in packaging/release)" ON)

set(SSM_REACH_PCH_HEADERS
    <algorithm> <array> <atomic> <chrono> <cstddef> <cstdint> <functional> <map> <memory>
    <optional> <set> <sstream> <string> <string_view> <unordered_map> <utility> <variant>
    <vector>)

# ssm_reach_precompile(TARGET): the shared precompiled header for TARGET
# (netcheck makes it; every other target reuses it).
function(ssm_reach_precompile target)
  if(NOT SSM_REACH_PCH)
    return()
  endif()
  if(target STREQUAL "netcheck")
    target_precompile_headers(netcheck PRIVATE ${SSM_REACH_PCH_HEADERS})
  else()
    target_precompile_headers(${target} REUSE_FROM netcheck)
  endif()
endfunction()
