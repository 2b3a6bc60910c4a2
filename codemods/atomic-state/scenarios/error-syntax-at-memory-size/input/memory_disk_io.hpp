// A syntax error at the memory size, the variable this fix makes atomic: outside the class, but
// a region because the fix reads and rewrites it. memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>
#include <cstdint>

namespace libtorrent {

std::int64_t memory_disk_memory_size = 0 0; // 0 = unlimited

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    std::int64_t budget() const { return memory_disk_memory_size; }
    void abort(bool) override { m_abort = true; }
    bool m_abort = false;
};

}
