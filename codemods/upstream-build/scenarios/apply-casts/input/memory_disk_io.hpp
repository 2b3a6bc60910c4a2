// memfix scenario: the conversions ABI 3 rejects, in each form a cast can take
#include <cstdint>
#include <iostream>
#include <vector>
#include <libtorrent/disk_interface.hpp>

namespace lt = libtorrent;

struct casting_disk_io : lt::disk_interface, lt::buffer_allocator_interface
{
    std::vector<lt::storage_index_t> m_spare;
    lt::storage_index_t m_last{0};

    void remove_torrent(lt::storage_index_t const idx) override
    {
        // each of these fails with TORRENT_ABI_VERSION=3
        std::cerr << static_cast<int>(idx) << ' ' << (long)idx << ' ' << std::size_t(idx) << '\n';
        std::cerr << static_cast<int>(this->m_last) << ' ' << int(m_spare.back()) << ' ' << int(m_spare[0]) << '\n';
        m_spare.push_back(idx);
        for (lt::storage_index_t const s : m_spare)
            std::cerr << static_cast<std::int64_t>(s) << '\n';
        // these compile in both ABIs: the underlying type, or not a strong typedef
        std::cerr << static_cast<std::uint32_t>(idx) << ' ' << unsigned(idx) << ' ' << int(m_spare.size()) << '\n';
    }

    void clear_piece(lt::piece_index_t const piece)
    {
        std::cerr << static_cast<int>(piece) << ' ' << static_cast<std::size_t>(piece) << '\n';
    }

    void free_disk_buffer(char*) override {}
};
