// A syntax error inside async_write, which this fix reads: memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    bool async_write(storage_index_t storage, peer_request const& r
        , char const* buf, std::shared_ptr<disk_observer>
        , std::function<void(storage_error const&)> handler
        , disk_job_flags_t) override
    {
        storage_error err = = {};
        return false;
    }
};

}
