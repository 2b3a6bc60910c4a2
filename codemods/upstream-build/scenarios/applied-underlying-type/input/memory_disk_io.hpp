// memfix scenario: conversions that compile in ABI 1 and ABI 3 alike
#include <cstdint>
#include <iostream>
#include <libtorrent/disk_interface.hpp>

namespace libtorrent {

struct plain_disk_io : disk_interface, buffer_allocator_interface
{
    void remove_torrent(storage_index_t const idx) override
    {
        std::cerr << static_cast<std::uint32_t>(idx) << ' ' << unsigned(idx) << '\n';
    }

    void clear_piece(piece_index_t const piece)
    {
        std::cerr << static_cast<int>(piece) << ' ' << int(piece) << ' ' << static_cast<std::int32_t>(piece) << '\n';
    }

    void free_disk_buffer(char*) override {}
};

}
