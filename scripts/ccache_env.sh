# Sourced by the build scripts: one compiler cache for every clone on this machine. CI builds a fresh clone each
# time; with paths hashed relative to the checkout, the same sources hit the cache wherever they are cloned.
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-6G}
  # The library and the test suite use precompiled headers (CMake's -include cmake_pch.hxx): ccache caches those
  # compiles only with this sloppiness.
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
  GPUEMBED_CCACHE_ARGS=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
else
  GPUEMBED_CCACHE_ARGS=()
fi
