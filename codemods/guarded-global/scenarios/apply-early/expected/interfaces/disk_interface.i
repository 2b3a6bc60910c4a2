// disk_interface.i (memfix fixture, early shape)
//
// libtorrent keeps its disk_interface out of reach of the bindings, so the
// Go side talks to the in-memory back end through a few free functions that
// go through one process-wide pointer to it.

%{
#include <libtorrent/disk_interface.hpp>
#include "memory_disk_io.hpp"
%}

// What SWIG needs to know about the strong index type.
namespace libtorrent {
    struct storage_index_t {
        int value;
    };
}

%inline %{
namespace libtorrent {
    // The live back end; session.i's disk_io_constructor stores it here.
    // memfix(guarded-global): memory_disk_io_registry in memory_disk_io.hpp holds both; these only name them
    std::mutex& g_memory_disk_io_mutex = memory_disk_io_registry<>::mutex;
    memory_disk_io*& g_memory_disk_io = memory_disk_io_registry<>::live;

    void memory_disk_set_lookbehind(int idx, std::vector<int> const& pieces)
    {
        std::lock_guard<std::mutex> lock(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->set_lookbehind_pieces(storage_index_t(idx), pieces);
    }

    void memory_disk_clear_lookbehind(int idx)
    {
        std::lock_guard<std::mutex> lock(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->clear_lookbehind(storage_index_t(idx));
    }

    bool memory_disk_is_lookbehind_available(int idx, int piece)
    {
        std::lock_guard<std::mutex> lock(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return false;
        return g_memory_disk_io->is_lookbehind_available(storage_index_t(idx),
            piece);
    }

    void memory_disk_get_lookbehind_stats(int idx, int& available,
        int& protected_count, std::int64_t& memory)
    {
        std::lock_guard<std::mutex> lock(g_memory_disk_io_mutex);
        available = 0;
        protected_count = 0;
        memory = 0;
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->get_lookbehind_stats(storage_index_t(idx),
            available, protected_count, memory);
    }
}
%}

// Which storage index a torrent got is not reported by add_torrent(); the
// Elementum side still has to track it.
