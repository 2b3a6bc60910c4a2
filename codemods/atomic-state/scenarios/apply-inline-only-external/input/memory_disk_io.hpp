// Namespace-scope functions of a header: only the one with external linkage that is not main
// and not a template gets inline.
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct memory_disk_io final : disk_interface, buffer_allocator_interface
{
    void abort(bool) override {}
    void free_disk_buffer(char*) override {}
};

int external_helper() { return 1; }

static int internal_helper() { return 2; }

namespace {
int unnamed_helper() { return 3; }
}

template <typename T>
T templated_helper(T v) { return v; }

}

int main() { return libtorrent::external_helper() + libtorrent::internal_helper() + libtorrent::unnamed_helper() - 6; }
