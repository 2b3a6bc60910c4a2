// memfix harness: the scenarios that prove v2-block-hash.
//
// The SHA-256 block hashes of a v2 or hybrid torrent cover a file's bytes
// only (piece_size2), by hand and in real v2 and hybrid downloads.

#include "harness.hpp"
#include "hand.hpp"
#include "live.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// v2-block-hash: a torrent laid out as libtorrent lays out v2 and hybrid
// torrents: file a (one piece and 7232 bytes: piece 1 holds its end), a pad
// file to the next piece boundary, file b (two whole pieces). The SHA-256 of
// the last block of a covers a's bytes only (file_storage::piece_size2), in
// async_hash's block hashes and in async_hash2; the SHA-1 of piece 1 covers
// the whole v1 piece, pad bytes (zeros) included.
lt::sha256_hash sha256_of(std::vector<char> const& v, int start, int len)
{
    lt::hasher256 h;
    h.update(v.data() + start, len);
    return h.final();
}

void sc_v2_block_hashes()
{
    Env env(0);
    int const tail = 7232;   // bytes of file a in piece 1: not a multiple of 16 KiB
    auto t = std::make_unique<Torrent>();
    t->tag = 24;
    t->fs.set_piece_length(kPieceLen);
    t->fs.add_file("memfix/a.bin", kPieceLen + tail);
    t->fs.add_file("memfix/.pad/pad", kPieceLen - tail, lt::file_storage::flag_pad_file);
    t->fs.add_file("memfix/b.bin", 2 * kPieceLen);
    t->fs.set_num_pieces(4);
    if (t->fs.piece_size2(lt::piece_index_t(1)) != tail)
    {
        fail("precondition: piece_size2 of the piece that ends file a is "
            + std::to_string(t->fs.piece_size2(lt::piece_index_t(1))));
        return;
    }
    lt::aux::vector<lt::download_priority_t, lt::file_index_t> const prio;
    lt::storage_params const params(t->fs, nullptr, ".", lt::storage_mode_sparse, prio, lt::sha1_hash());
    t->holder = env.dio->new_torrent(params, std::shared_ptr<void>());
    t->index = static_cast<lt::storage_index_t>(t->holder);
    env.torrents.push_back(std::move(t));
    Torrent const& tor = *env.torrents.back();

    // each piece's v1 bytes as a peer sends them: file data, zeros for the pad
    std::vector<std::vector<char>> bytes;
    for (int p = 0; p < 4; ++p)
    {
        std::vector<char> v = pattern(tor.tag, p, 0, kPieceLen);
        if (p == 1) std::fill(v.begin() + tail, v.end(), char(0));
        for (int off = 0; off < kPieceLen; off += kBlock)
            env.dio->async_write(tor.index, request(p, off, kBlock), v.data() + off,
                std::shared_ptr<lt::disk_observer>(), [p](lt::storage_error const& ec) {
                    if (ec) fail("write of piece " + std::to_string(p) + " reported an error: " + ec.ec.message());
                });
        bytes.push_back(std::move(v));
    }
    env.drain();

    int checked = 0;
    for (int p = 0; p < 4; ++p)
    {
        int const size2 = p == 1 ? tail : kPieceLen;
        int const blocks = (size2 + kBlock - 1) / kBlock;
        std::vector<lt::sha256_hash> got(2);
        env.dio->async_hash(tor.index, lt::piece_index_t(p), got, lt::disk_interface::v1_hash,
            [&, p, size2, blocks](lt::piece_index_t, lt::sha1_hash const& h, lt::storage_error const& ec) {
                if (ec) { fail("async_hash of piece " + std::to_string(p) + ": " + ec.ec.message()); return; }
                lt::hasher whole;
                whole.update(bytes[std::size_t(p)].data(), kPieceLen);
                if (h != whole.final()) fail("the SHA-1 of piece " + std::to_string(p) + " is wrong");
                for (int b = 0; b < blocks; ++b)
                {
                    int const len = std::min(kBlock, size2 - b * kBlock);
                    if (got[std::size_t(b)] != sha256_of(bytes[std::size_t(p)], b * kBlock, len))
                        fail("async_hash: the SHA-256 of block " + std::to_string(b) + " of piece "
                            + std::to_string(p) + " is not over its " + std::to_string(len)
                            + " bytes of file data" + (len < kBlock ? " (it ends with its file)" : ""));
                    else ++checked;
                }
            });
        for (int b = 0; b < blocks; ++b)
        {
            int const len = std::min(kBlock, size2 - b * kBlock);
            env.dio->async_hash2(tor.index, lt::piece_index_t(p), b * kBlock, lt::disk_job_flags_t{},
                [&, p, b, len](lt::piece_index_t, lt::sha256_hash const& h, lt::storage_error const& ec) {
                    if (ec) { fail("async_hash2 of piece " + std::to_string(p) + ": " + ec.ec.message()); return; }
                    if (h != sha256_of(bytes[std::size_t(p)], b * kBlock, len))
                        fail("async_hash2: the SHA-256 of block " + std::to_string(b) + " of piece "
                            + std::to_string(p) + " is not over its " + std::to_string(len)
                            + " bytes of file data" + (len < kBlock ? " (it ends with its file)" : ""));
                    else ++checked;
                });
        }
        env.drain();
    }
    // 7 block hashes from async_hash, 7 from async_hash2
    if (g_failures.empty() && checked != 14)
        fail("only " + std::to_string(checked) + " of 14 block hashes were checked");
}

} // namespace
} // namespace hand
} // namespace memfix

// real sessions over loopback (live.hpp)
namespace memfix {
namespace live {
namespace {

void sc_download_v2() { download(lt::create_torrent::v2_only, "v2"); }
void sc_download_hybrid() { download({}, "hybrid"); }

} // namespace
} // namespace live
} // namespace memfix

MEMFIX_SCENARIOS(
    {"v2-block-hashes", "v2-block-hash", "asan",
        "v2/hybrid layout, a file ending 7232 bytes into a piece, then pad: the SHA-256 of its last block (async_hash, async_hash2) covers the file's bytes only",
        hand::sc_v2_block_hashes},
    {"session-v2", "v2-block-hash", "asan",
        "the same with a v2-only torrent (files not 16 KiB-aligned: the v2 block hashes of a file's last piece)",
        live::sc_download_v2, Exit::at_once},
    {"session-hybrid", "v2-block-hash", "asan",
        "the same with a hybrid torrent (v1 and v2 hashes must describe the same data)",
        live::sc_download_hybrid, Exit::at_once},
)
