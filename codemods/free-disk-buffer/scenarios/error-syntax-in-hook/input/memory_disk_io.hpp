// A syntax error inside free_disk_buffer, the hook this fix rewrites: memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void free_disk_buffer(char*) override
    {
        int unused = ;
    }
};

}
