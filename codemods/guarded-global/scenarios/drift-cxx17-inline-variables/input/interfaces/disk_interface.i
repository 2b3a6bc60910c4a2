// disk_interface.i (memfix fixture)
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
#include <mutex>

namespace libtorrent {
    // The live back end, published by the disk_io_constructor in session.i.
    // Every access goes through g_memory_disk_io_mutex.
    // (both are defined in memory_disk_io.hpp)

    void set_global_memory_disk_io(memory_disk_io* dio)
    {
        std::scoped_lock guard{g_memory_disk_io_mutex};
        g_memory_disk_io = dio;
    }

    // Meant for session teardown.
    void clear_global_memory_disk_io()
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        g_memory_disk_io = nullptr;
    }

    void memory_disk_set_lookbehind(int idx, std::vector<int> const& pieces)
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->set_lookbehind_pieces(storage_index_t(idx), pieces);
    }

    void memory_disk_clear_lookbehind(int idx)
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->clear_lookbehind(storage_index_t(idx));
    }

    bool memory_disk_is_lookbehind_available(int idx, int piece)
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        if (g_memory_disk_io == nullptr) return false;
        return g_memory_disk_io->is_lookbehind_available(storage_index_t(idx),
            piece);
    }

    void memory_disk_get_lookbehind_stats(int idx, int& available,
        int& protected_count, std::int64_t& memory)
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        available = 0;
        protected_count = 0;
        memory = 0;
        if (g_memory_disk_io == nullptr) return;
        g_memory_disk_io->get_lookbehind_stats(storage_index_t(idx),
            available, protected_count, memory);
    }
}
%}

// Storage indices.  add_torrent() does not report the slot new_torrent()
// picked, so the Go layer keeps its own map from info-hash to index; these
// helpers only convert between int and storage_index_t.
%inline %{
namespace libtorrent {
    storage_index_t make_storage_index(int idx)
    {
        return storage_index_t(idx);
    }

    int storage_index_value(storage_index_t idx)
    {
        return static_cast<int>(idx);
    }

    // Not known on this side yet: -1 tells Go to use its own count.
    int get_next_storage_index()
    {
        std::lock_guard<std::mutex> guard(g_memory_disk_io_mutex);
        return -1;
    }
}
%}
