// memory_storage.hpp for libtorrent 1.2 (memfix fixture)
//
// A per-torrent storage_interface that keeps pieces in RAM.  libtorrent 1.2
// owns it through add_torrent_params::storage; there is no session-wide
// disk I/O object, no async_read and no buffer allocator here.

#ifndef MEMFIX_SAMPLE_MEMORY_STORAGE_HPP
#define MEMFIX_SAMPLE_MEMORY_STORAGE_HPP

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <libtorrent/storage.hpp>
#include <libtorrent/file_storage.hpp>

namespace libtorrent {

std::int64_t memory_size = 0;

struct memory_storage : storage_interface
{
    explicit memory_storage(file_storage const& fs) : storage_interface(fs) {}

    void initialize(storage_error&) override {}

    int readv(span<iovec_t const> bufs, piece_index_t piece, int offset
        , open_mode_t, storage_error&) override
    {
        auto const it = m_pieces.find(piece);
        if (it == m_pieces.end()) return 0;
        int done = 0;
        for (iovec_t const& b : bufs)
        {
            int const pos = offset + done;
            int const have = int(it->second.size()) - pos;
            if (have <= 0) break;
            int const n = std::min(int(b.size()), have);
            std::memcpy(b.data(), it->second.data() + pos, std::size_t(n));
            done += n;
        }
        return done;
    }

    int writev(span<iovec_t const> bufs, piece_index_t piece, int offset
        , open_mode_t, storage_error&) override
    {
        std::vector<char>& bytes = m_pieces[piece];
        int done = 0;
        for (iovec_t const& b : bufs)
        {
            std::size_t const end = std::size_t(offset + done) + b.size();
            if (bytes.size() < end) bytes.resize(end);
            std::memcpy(bytes.data() + offset + done, b.data(), b.size());
            done += int(b.size());
        }
        return done;
    }

    bool has_any_file(storage_error&) override { return false; }
    void set_file_priority(aux::vector<download_priority_t, file_index_t>&
        , storage_error&) override {}
    status_t move_storage(std::string const&, move_flags_t
        , storage_error&) override { return status_t::no_error; }
    bool verify_resume_data(add_torrent_params const&
        , aux::vector<std::string, file_index_t> const&
        , storage_error&) override { return true; }
    void release_files(storage_error&) override { m_pieces.clear(); }
    void rename_file(file_index_t, std::string const&
        , storage_error&) override {}
    void delete_files(remove_flags_t, storage_error&) override
    { m_pieces.clear(); }

private:
    std::map<piece_index_t, std::vector<char>> m_pieces;
};

storage_interface* memory_storage_constructor(storage_params const& params
    , file_pool&)
{
    return new memory_storage(params.files);
}

} // namespace libtorrent

#endif // MEMFIX_SAMPLE_MEMORY_STORAGE_HPP
