# Third-party libraries linked from their static archives (the Debian -dev packages ship them).
# Why: `ktriage dmesg` on a whole dump does about 8 ms of work; mapping and relocating 22 shared
# libraries cost 2 to 3 ms of that on every run. libkdumpfile ships no archive and stays shared,
# with the compression libraries it needs; everything else in this file is linked in.

# ktriage_static_dependency(<target> <archive> [INCLUDE dir...] [LINK lib...]): an imported
# static library <target> for /usr/lib/.../<archive> that needs the LINK libraries. Imported
# targets (not raw paths) so that CMake orders every archive before what it needs.
function(ktriage_static_dependency target archive)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "INCLUDE;LINK")
  string(MAKE_C_IDENTIFIER "${archive}" var)
  find_library(KTRIAGE_STATIC_${var} NAMES "${archive}" REQUIRED)
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${KTRIAGE_STATIC_${var}}"
                                             INTERFACE_LINK_LIBRARIES "${arg_LINK}")
  if(arg_INCLUDE)
    set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${arg_INCLUDE}")
  endif()
endfunction()

find_package(Threads REQUIRED)

# Compression libraries: zlib and zstd are loaded anyway by libkdumpfile, so they stay shared;
# the others are linked in.
pkg_check_modules(LIBZSTD REQUIRED libzstd)
add_library(ktriage_libz INTERFACE)
target_link_libraries(ktriage_libz INTERFACE z)
add_library(ktriage_libzstd INTERFACE)
target_link_libraries(ktriage_libzstd INTERFACE zstd)
ktriage_static_dependency(ktriage_libbz2 libbz2.a)
ktriage_static_dependency(ktriage_liblzma liblzma.a LINK Threads::Threads)
ktriage_static_dependency(ktriage_liblz4 liblz4.a)
ktriage_static_dependency(ktriage_libnettle libnettle.a)

# libarchive: the shared library also pulls in libxml2 and ICU (for the xar reader, which we never
# enable). The archive gives only the readers and filters we use; their libraries follow it.
pkg_check_modules(LIBARCHIVE REQUIRED libarchive)
ktriage_static_dependency(ktriage_libarchive libarchive.a INCLUDE ${LIBARCHIVE_INCLUDE_DIRS}
                          LINK ktriage_libz ktriage_libbz2 ktriage_liblzma ktriage_libzstd
                               ktriage_liblz4 ktriage_libnettle)

# elfutils: libdw needs libelf and the compressions of .debug sections and .ko files.
pkg_check_modules(LIBDW REQUIRED libdw)
ktriage_static_dependency(ktriage_libelf libelf.a LINK ktriage_libz ktriage_libzstd)
ktriage_static_dependency(ktriage_libdw libdw.a INCLUDE ${LIBDW_INCLUDE_DIRS}
                          LINK ktriage_libelf ktriage_libbz2 ktriage_liblzma ktriage_libz
                               ktriage_libzstd ${CMAKE_DL_LIBS} Threads::Threads)

pkg_check_modules(RE2 REQUIRED re2)
ktriage_static_dependency(ktriage_re2 libre2.a INCLUDE ${RE2_INCLUDE_DIRS} LINK Threads::Threads)

pkg_check_modules(YAMLCPP REQUIRED yaml-cpp)
ktriage_static_dependency(ktriage_yamlcpp libyaml-cpp.a INCLUDE ${YAMLCPP_INCLUDE_DIRS})

pkg_check_modules(SQLITE3 REQUIRED sqlite3)
ktriage_static_dependency(ktriage_sqlite3 libsqlite3.a INCLUDE ${SQLITE3_INCLUDE_DIRS}
                          LINK m ${CMAKE_DL_LIBS} Threads::Threads)

find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
ktriage_static_dependency(ktriage_boost_program_options libboost_program_options.a
                          INCLUDE ${Boost_INCLUDE_DIRS})

# libbpf: only its BTF parser is used (the kernel's own types, read from a dump); it needs libelf
# and zlib for the parts we do not call.
pkg_check_modules(LIBBPF REQUIRED libbpf)
ktriage_static_dependency(ktriage_libbpf libbpf.a INCLUDE ${LIBBPF_INCLUDE_DIRS} LINK ktriage_libelf ktriage_libz)
