// A call left open inside async_release_files, which this fix rewrites: memfix refuses the tree.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void async_release_files(storage_index_t storage
        , std::function<void()> handler) override
    {
        if (handler) post(m_ioc, handler;
    }
};

}
