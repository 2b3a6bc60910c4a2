// A syntax error inside a conversion this fix rewrites: memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void remove_torrent(storage_index_t const slot) override
    {
        int const shown = static_cast<int>(slot + ;
    }

    void free_disk_buffer(char*) override {}
};

}
