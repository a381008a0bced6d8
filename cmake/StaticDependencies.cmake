# Dependencies for the fully static release (SSM_REACH_STATIC=ON), built by
# packaging/release. Defines the same targets the dynamic build gets from
# pkg-config and CMake's find modules, so netcheck/ and probe/ link the
# same way in both builds:
#   CURL::libcurl       curl's exported CMake target from SSM_REACH_CURL_PREFIX
#                       (never libcurl.pc: its Libs.private add -lgcc_s)
#   OpenSSL::SSL/Crypto Debian's libssl.a and libcrypto.a
#   PkgConfig::CARES    Debian's libcares.a
set(SSM_REACH_CURL_PREFIX "" CACHE PATH
    "Install prefix of the static libcurl (packaging/release builds it)")
if(NOT SSM_REACH_CURL_PREFIX)
  message(FATAL_ERROR "SSM_REACH_STATIC needs SSM_REACH_CURL_PREFIX (use packaging/release)")
endif()

# Before curl's config: its find_dependency(OpenSSL) must see the .a files.
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)

find_path(CARES_STATIC_INCLUDE_DIR ares.h REQUIRED)
find_library(CARES_STATIC_LIBRARY NAMES libcares.a REQUIRED)
add_library(PkgConfig::CARES STATIC IMPORTED)
set_target_properties(PkgConfig::CARES PROPERTIES
  IMPORTED_LOCATION ${CARES_STATIC_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${CARES_STATIC_INCLUDE_DIR}
  INTERFACE_COMPILE_DEFINITIONS CARES_STATICLIB)

find_package(CURL CONFIG REQUIRED PATHS ${SSM_REACH_CURL_PREFIX} NO_DEFAULT_PATH)
# Whatever configuration curl was built in (packaging/release: MinSizeRel).
get_target_property(_curl_configs CURL::libcurl IMPORTED_CONFIGURATIONS)
list(GET _curl_configs 0 _curl_config)
get_target_property(_curl_location CURL::libcurl IMPORTED_LOCATION_${_curl_config})
if(NOT _curl_location MATCHES "\\.a$")
  message(FATAL_ERROR "CURL::libcurl is not a static library: ${_curl_location}")
endif()
message(STATUS "Static libcurl ${CURL_VERSION}: ${_curl_location}")

# Everything in one self-contained executable; unused sections of our code
# and of libcurl (built the same way) are dropped at link time.
add_compile_options(-ffunction-sections -fdata-sections)
# No separate code segment padding, no build id: a few KB of a size budget.
add_link_options(-static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none)
