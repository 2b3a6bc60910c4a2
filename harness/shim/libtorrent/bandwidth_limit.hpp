// memfix harness shim. The SWIG interface session.i includes
// <libtorrent/bandwidth_limit.hpp>, a header that libtorrent 2.0 no longer
// installs. This file only fills that gap: where a real header of that name
// exists further down the include path, it is used instead.
#ifndef MEMFIX_SHIM_BANDWIDTH_LIMIT_HPP
#define MEMFIX_SHIM_BANDWIDTH_LIMIT_HPP
#if defined(__has_include_next)
#if __has_include_next(<libtorrent/bandwidth_limit.hpp>)
#include_next <libtorrent/bandwidth_limit.hpp>
#endif
#endif
#endif
