// The header is whole; the SWIG file's setter of the global pointer is not (see interfaces/).
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void free_disk_buffer(char*) override {}
};

}
