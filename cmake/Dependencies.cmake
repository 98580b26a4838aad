# Every dependency is a Debian package; a missing one stops configure with the
# package to install, so nobody has to guess.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

function(sp_require target module debian_package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "missing dependency ${module}: apt-get install ${debian_package}")
  endif()
  message(STATUS "found ${module} ${${target}_VERSION}")
endfunction()

sp_require(LIBUV libuv libuv1-dev)
sp_require(OPENSSL "libssl;libcrypto" libssl-dev)
sp_require(CURL libcurl libcurl4-openssl-dev)
sp_require(JANSSON jansson libjansson-dev)
sp_require(INIH inih libinih-dev)
sp_require(PCRE2 libpcre2-8 libpcre2-dev)
sp_require(EXPAT expat libexpat1-dev)

# llhttp ships as generated C sources without a library or a .pc file.
set(LLHTTP_SRC_DIR /usr/share/llhttp CACHE PATH "llhttp C sources (Debian node-llhttp)")
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp header (Debian node-llhttp)")
if(NOT EXISTS ${LLHTTP_SRC_DIR}/llhttp.c OR NOT EXISTS ${LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "missing dependency llhttp: apt-get install node-llhttp")
endif()
add_library(llhttp STATIC ${LLHTTP_SRC_DIR}/llhttp.c ${LLHTTP_SRC_DIR}/api.c ${LLHTTP_SRC_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
# Generated code: its warnings are not ours to fix.
target_compile_options(llhttp PRIVATE -w)
