// A syntax error in the setter of the global pointer, which this fix guards: memfix refuses the tree.
%{
#include "memory_disk_io.hpp"
%}

%inline %{
    libtorrent::memory_disk_io* g_memory_disk_io = nullptr;

    void set_global_memory_disk_io(libtorrent::memory_disk_io* dio)
    {
        g_memory_disk_io = dio dio;
    }
%}
