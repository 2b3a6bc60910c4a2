// memfix bench: bursts of 16 KiB reads through a memory_disk_io (our own C++).
//
// Built against one tree's memory_disk_io.hpp (-I its folder), without
// sanitizers, at -O2. It makes the disk I/O with memory_disk_constructor,
// writes a torrent of 16 pieces of 64 KiB, then queues BURSTS bursts of BURST
// block reads (every completion queued before any runs, as a peer's requests
// are) and runs them. The process time over the number of reads is the time
// per read; npm run bench compares two builds of this file side by side.
//
//   reads [BURSTS [BURST]]
#include "memory_disk_io.hpp"

#include <libtorrent/performance_counters.hpp>
#include <libtorrent/settings_pack.hpp>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace lt = libtorrent;

int main(int argc, char** argv)
{
    int const bursts = argc > 1 ? std::atoi(argv[1]) : 2000;
    int const burst = argc > 2 ? std::atoi(argv[2]) : 64;
    int const block = 0x4000;
    int const piece_len = 4 * block;
    int const pieces = 16;

    lt::io_context ioc;
    lt::settings_pack settings;
    lt::counters counters;
    std::unique_ptr<lt::disk_interface> dio = lt::memory_disk_constructor(ioc, settings, counters);

    lt::file_storage fs;
    fs.set_piece_length(piece_len);
    fs.add_file("bench/reads.bin", std::int64_t(pieces) * piece_len);
    fs.set_num_pieces(pieces);
    lt::aux::vector<lt::download_priority_t, lt::file_index_t> const prio;
    lt::storage_params const params(fs, nullptr, ".", lt::storage_mode_sparse, prio, lt::sha1_hash());
    lt::storage_holder holder = dio->new_torrent(params, std::shared_ptr<void>());
    lt::storage_index_t const idx = static_cast<lt::storage_index_t>(holder);

    std::vector<char> bytes(static_cast<std::size_t>(block));
    for (int p = 0; p < pieces; ++p)
        for (int off = 0; off < piece_len; off += block)
        {
            for (int i = 0; i < block; ++i) bytes[std::size_t(i)] = char(p * 31 + off / block + i);
            lt::peer_request r{};
            r.piece = lt::piece_index_t(p);
            r.start = off;
            r.length = block;
            dio->async_write(idx, r, bytes.data(), std::shared_ptr<lt::disk_observer>(),
                [](lt::storage_error const&) {});
        }
    ioc.run();

    long checksum = 0;
    long failed = 0;
    for (int b = 0; b < bursts; ++b)
    {
        for (int i = 0; i < burst; ++i)
        {
            int const k = b * burst + i;
            lt::peer_request r{};
            r.piece = lt::piece_index_t(k % pieces);
            r.start = (k / pieces % 4) * block;
            r.length = block;
            dio->async_read(idx, r,
                [&checksum, &failed](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                    if (ec || buf.data() == nullptr) ++failed;
                    else checksum += buf.data()[buf.size() - 1];
                }, lt::disk_job_flags_t{});
        }
        ioc.restart();
        ioc.run();
    }
    holder.reset();
    dio->abort(true);
    ioc.restart();
    ioc.run();
    dio.reset();
    std::printf("%d reads, checksum %ld, %ld failed\n", bursts * burst, checksum, failed);
    return failed == 0 ? 0 : 3;
}
