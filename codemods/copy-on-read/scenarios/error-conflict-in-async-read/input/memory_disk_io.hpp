// A merge left a conflict inside async_read, the method this fix rewrites: memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void async_read(storage_index_t, peer_request const&
        , std::function<void(disk_buffer_holder, storage_error const&)> handler
        , disk_job_flags_t) override
    {
<<<<<<< ours
        storage_error err;
=======
        storage_error error;
>>>>>>> theirs
    }

    void free_disk_buffer(char*) override {}
};

}
