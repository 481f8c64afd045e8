# Oniguruma 6.9.10 from Debian's source package (scripts/fetch_onig_src.sh), compiled into gpuembed_onig for the
# native and the WASM builds alike: the same Unicode 16 tables as the Oniguruma inside HF tokenizers.
# Paths from this file, not CMAKE_SOURCE_DIR: the Python package builds this tree as a subdirectory of python/.
set(GPUEMBED_ONIG_SRC "${CMAKE_CURRENT_LIST_DIR}/../.cache/onig-src" CACHE PATH
    "Oniguruma source tree (scripts/fetch_onig_src.sh fetches Debian's 6.9.10)")
if(NOT EXISTS "${GPUEMBED_ONIG_SRC}/src/regexec.c")
  execute_process(COMMAND ${CMAKE_CURRENT_LIST_DIR}/../scripts/fetch_onig_src.sh RESULT_VARIABLE onig_rc
                  OUTPUT_VARIABLE onig_out OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT onig_rc EQUAL 0 OR NOT EXISTS "${GPUEMBED_ONIG_SRC}/src/regexec.c")
    message(FATAL_ERROR "Oniguruma source not found in ${GPUEMBED_ONIG_SRC}: run scripts/fetch_onig_src.sh")
  endif()
endif()
set(onig_cfg "${CMAKE_BINARY_DIR}/onig-config")
# Every supported target is LP64 (x86-64, arm64) or ILP32 (wasm32): long has the size of a pointer.
file(WRITE "${onig_cfg}/config.h.in"
"#define HAVE_ALLOCA 1\n#define HAVE_ALLOCA_H 1\n#define HAVE_STDINT_H 1\n#define HAVE_SYS_TYPES_H 1\n"
"#define HAVE_UNISTD_H 1\n#define HAVE_INTTYPES_H 1\n#define SIZEOF_INT 4\n#define SIZEOF_LONG_LONG 8\n"
"#define SIZEOF_LONG @CMAKE_SIZEOF_VOID_P@\n#define SIZEOF_VOIDP @CMAKE_SIZEOF_VOID_P@\n#define PACKAGE \"onig\"\n"
"#define PACKAGE_VERSION \"6.9.10\"\n#define VERSION \"6.9.10\"\n")
configure_file("${onig_cfg}/config.h.in" "${onig_cfg}/config.h" @ONLY)
set(onig_srcs regerror.c regparse.c regext.c regcomp.c regexec.c regenc.c regsyntax.c regtrav.c regversion.c st.c
    onig_init.c unicode.c ascii.c utf8.c utf16_be.c utf16_le.c utf32_be.c utf32_le.c unicode_unfold_key.c
    unicode_fold1_key.c unicode_fold2_key.c unicode_fold3_key.c)
list(TRANSFORM onig_srcs PREPEND "${GPUEMBED_ONIG_SRC}/src/")
add_library(gpuembed_onig STATIC ${onig_srcs})
target_include_directories(gpuembed_onig PUBLIC "${GPUEMBED_ONIG_SRC}/src" PRIVATE "${onig_cfg}")
target_compile_definitions(gpuembed_onig PUBLIC ONIG_STATIC)
set_target_properties(gpuembed_onig PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
target_compile_options(gpuembed_onig PRIVATE -w)  # third-party code: its warnings are not ours to fix
if(GPUEMBED_SANITIZE)
  # AddressSanitizer still checks it; UBSan's reports on its integer idioms (it is HF's own engine) would abort the
  # sanitizer suite on code that is not ours.
  target_compile_options(gpuembed_onig PRIVATE -fno-sanitize=undefined)
endif()
