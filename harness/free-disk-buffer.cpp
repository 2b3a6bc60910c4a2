// memfix harness: the scenarios that prove free-disk-buffer.
//
// Who owns the buffers a read hands out: nothing leaks, a held buffer keeps its
// bytes, a failed allocation reaches the handler.

#include "harness.hpp"
#include "hand.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// free-disk-buffer: many completed reads leak nothing
void sc_read_leak()
{
    Env env(0);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_piece(env, t, p);
    env.drain();

    int done = 0;
    int const total = 2000;
    for (int i = 0; i < total; ++i)
    {
        int const piece = i % kPieces;
        int const start = (i * 977) % (kPieceLen - kBlock + 1);
        int const len = 1 + (i * 131) % kBlock;
        checked_read(env, t.index, t.tag, piece, start, len, "read", &done);
        if (i % 100 == 99) env.drain();
    }
    env.drain();
    expect_done(done, total, "2000 reads");
}

// ===========================================================================
// free-disk-buffer: who owns the buffers a read hands out
// ===========================================================================

// Pieces 0 and 1 written and read once, so that whatever the disk I/O
// allocates once (maps, their buckets) is allocated: the live heap bytes then,
// against which a scenario measures what its reads leave behind.
long long warmed_up(Env& env, Torrent& t)
{
    for (int p = 0; p < 2; ++p) write_piece(env, t, p);
    env.drain();
    int done = 0;
    queue_reads(env, t, {0, 1}, "warm-up read", &done);
    env.drain();
    return live_heap_bytes();
}

// Reads hold their buffers while their piece is cleared and rewritten with
// other bytes: each buffer keeps the bytes read. Once every holder is gone no
// buffer stays behind (the heap shrinks back), and a pointer the disk I/O
// never handed out is ignored by free_disk_buffer.
void sc_buffer_ownership()
{
    Env env(0);
    Torrent& t = env.add(1);
    long long const before = warmed_up(env, t);

    int const reads = 256;   // 4 MiB of buffers
    std::vector<lt::disk_buffer_holder> held;
    held.reserve(reads);
    std::vector<std::pair<int, int>> what;   // piece, start
    what.reserve(reads);
    for (int i = 0; i < reads; ++i)
    {
        int const piece = i % 2;
        int const start = (i / 2) % 2 * kBlock;
        env.dio->async_read(t.index, request(piece, start, kBlock),
            [&held, &what, piece, start](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                if (ec) { fail("read reported an error: " + ec.ec.message()); return; }
                held.push_back(std::move(buf));
                what.emplace_back(piece, start);
            });
    }
    env.drain();
    // the pieces are cleared and written again with another torrent's bytes
    for (int p = 0; p < 2; ++p)
        env.dio->async_clear_piece(t.index, lt::piece_index_t(p), [](lt::piece_index_t) {});
    env.drain();
    {
        Torrent other;
        other.tag = 2;
        other.index = t.index;
        for (int p = 0; p < 2; ++p) write_piece(env, other, p);
        env.drain();
    }
    for (std::size_t i = 0; i < held.size(); ++i)
    {
        std::vector<char> const exp = pattern(t.tag, what[i].first, what[i].second, kBlock);
        if (held[i].size() != kBlock || std::memcmp(held[i].data(), exp.data(), kBlock) != 0)
        {
            fail("a buffer held across async_clear_piece and a rewrite no longer holds the bytes read");
            break;
        }
    }
    held.clear();   // every holder gone: free_disk_buffer for each

    long long const after = live_heap_bytes();
    if (before < 0)
        note("no sanitizer allocator to count heap bytes: buffers left behind are not checked");
    else if (after - before > 1024 * 1024)   // the allocator may keep a pool of freed buffers
        fail("every holder is gone but " + std::to_string((after - before) / 1024)
            + " KiB stay allocated: free_disk_buffer did not release the buffers ("
            + std::to_string(reads) + " reads of 16 KiB)");

    // a pointer it never handed out: into a vector of ours, and null
    auto* alloc = dynamic_cast<lt::buffer_allocator_interface*>(env.dio.get());
    if (alloc == nullptr)
        fail("the disk I/O is not a buffer_allocator_interface");
    else
    {
        std::vector<char> mine(4096, 'm');
        alloc->free_disk_buffer(mine.data() + 100);
        alloc->free_disk_buffer(nullptr);
        if (mine[100] != 'm') fail("free_disk_buffer wrote to a buffer it never handed out");
    }
}

// bad_alloc at every allocation point inside async_read in turn: no buffer
// stays recorded and no lock stays held; the read that finally goes through
// is queued before its piece is cleared and still delivers the exact bytes.
// std::bad_alloc at the 1st, 2nd, ... allocation inside async_read until a
// read delivers its bytes. A failed allocation of the copy must reach the
// handler as errc::not_enough_memory with no data (as libtorrent's own disk
// I/O reports it); async_read may still throw for an allocation it cannot
// report (posting the completion). After each attempt another thread gets a
// read and a write through (no lock held) and, at the end, no buffer stays
// allocated beyond what the allocator's pool keeps.
void sc_read_alloc_failure()
{
    Env env(0);
    Torrent& t = env.add(1);
    long long const before = warmed_up(env, t);

    int thrown = 0;
    int reported = 0;
    int done = 0;
    bool delivered = false;
    for (long k = 0; k < 1000 && !delivered; ++k)
    {
        std::uint32_t const tag = t.tag;
        std::function<void(lt::disk_buffer_holder, lt::storage_error const&)> handler =
            [&done, &reported, &delivered, tag](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                ++done;
                if (ec.ec == boost::system::errc::not_enough_memory)
                {
                    ++reported;
                    if (buf.data() != nullptr || buf.size() != 0)
                        fail("a read that reported not_enough_memory delivered "
                            + std::to_string(buf.size()) + " bytes");
                    return;
                }
                if (ec) { fail("a read reported an error other than not_enough_memory: " + ec.ec.message()); return; }
                std::vector<char> const exp = pattern(tag, 0, 0, kBlock);
                if (buf.data() == nullptr || buf.size() != kBlock
                    || std::memcmp(buf.data(), exp.data(), kBlock) != 0)
                    fail("the read that went through delivered other bytes");
                delivered = true;
            };
        t_fail_countdown = k;
        bool queued = false;
        try
        {
            env.dio->async_read(t.index, request(0, 0, kBlock), std::move(handler), lt::disk_job_flags_t{});
            queued = true;
        }
        catch (std::bad_alloc const&)
        {
            ++thrown;
        }
        t_fail_countdown = -1;
        if (queued)
        {
            // the read that delivers is queued before async_clear_piece: its bytes must survive
            env.dio->async_clear_piece(t.index, lt::piece_index_t(0), [](lt::piece_index_t) {});
            env.drain();
            write_piece(env, t, 0);
            env.drain();
            if (delivered) break;
        }
        // no lock held: another thread gets through a read and a write
        lt::disk_interface& dio = *env.dio;
        lt::storage_index_t const idx = t.index;
        std::uint32_t const tag1 = t.tag;
        if (!finishes_within(std::chrono::seconds(10), [&dio, idx, tag1] {
                std::vector<char> const buf = pattern(tag1, 1, 0, kBlock);
                dio.async_write(idx, request(1, 0, kBlock), buf.data(),
                    std::shared_ptr<lt::disk_observer>(), [](lt::storage_error const&) {});
                dio.async_read(idx, request(1, 0, kBlock),
                    [](lt::disk_buffer_holder, lt::storage_error const&) {});
            }))
            abandon("after a bad_alloc in async_read (allocation " + std::to_string(k + 1)
                + "), a lock of the disk I/O is still held");
        env.drain();
    }
    if (!delivered) { fail("async_read never delivered its bytes"); return; }
    if (reported == 0)
        fail("no allocation failure in async_read reached its handler as not_enough_memory ("
            + std::to_string(thrown) + " threw out of async_read)");
    expect_done(done, reported + 1, "the reads that did not throw");

    long long const after = live_heap_bytes();
    if (before >= 0 && after - before > 8 * 1024)
        fail(std::to_string(thrown + reported) + " failed async_read calls left "
            + std::to_string((after - before) / 1024) + " KiB allocated (a buffer recorded but never handed out)");
    std::fprintf(stderr, "NOTE read-alloc-failure: bad_alloc injected at %d allocation(s) of async_read: "
        "%d reported not_enough_memory, %d threw\n", thrown + reported, reported, thrown);
}

} // namespace
} // namespace hand
} // namespace memfix

MEMFIX_SCENARIOS(
    {"read-leak", "free-disk-buffer", "asan",
        "2000 completed reads leak nothing (LeakSanitizer)", hand::sc_read_leak},
    {"buffer-ownership", "free-disk-buffer", "asan",
        "buffers held across a clear and rewrite keep their bytes; once every holder is gone none stays allocated (beyond the allocator's small pool); a pointer never handed out is ignored",
        hand::sc_buffer_ownership},
    {"read-alloc-failure", "free-disk-buffer", "asan",
        "bad_alloc at each allocation inside async_read: the copy's reaches the handler as not_enough_memory; no buffer stays recorded, no lock held; the read that goes through survives a clear",
        hand::sc_read_alloc_failure},
)
