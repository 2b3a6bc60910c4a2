// memfix harness: the scenarios that prove copy-on-read.
//
// A read whose completion is still queued survives whatever frees or moves its
// piece: the delivered bytes are exact.

#include "harness.hpp"
#include "hand.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// ===========================================================================
// copy-on-read: a read whose completion is still queued survives a
// destructive operation; the delivered bytes are exact.
// ===========================================================================

void read_survives(std::int64_t memory_size, char const* op_name,
    std::function<void(Env&, Torrent&)> const& destroy,
    std::vector<int> const& read_pieces, std::vector<int> const& gone_pieces)
{
    Env env(memory_size);
    Torrent& t = env.add(1);
    int const prefill = memory_size > 0 ? 3 : kPieces;
    for (int p = 0; p < prefill; ++p) write_piece(env, t, p);
    env.drain();

    int done = 0;
    std::string const what = std::string("read queued before ") + op_name;
    int const n = queue_reads(env, t, read_pieces, what, &done);

    destroy(env, t);   // completions are still queued
    env.drain();       // now they run: the handlers memcmp the bytes
    expect_done(done, n, what);

    // sanity: the destructive operation did take effect
    for (int p : gone_pieces)
    {
        lt::storage_error const ec = probe_read(env, t.index, p);
        if (!ec)
            note(std::string(op_name) + " left piece " + std::to_string(p)
                + " readable; the scenario did not exercise a destroyed buffer");
    }
}

void sc_read_clear_piece()
{
    read_survives(0, "async_clear_piece",
        [](Env& env, Torrent& t) {
            env.dio->async_clear_piece(t.index, lt::piece_index_t(0), [](lt::piece_index_t) {});
        },
        {0}, {0});
}

// Where release-accounting is applied, async_release_files keeps the pieces
// (release-keeps-data proves it) and these reads are plain reads; on a tree
// whose release still drops them, they prove copy-on-read.
void sc_read_release_files()
{
    read_survives(0, "async_release_files",
        [](Env& env, Torrent& t) { env.dio->async_release_files(t.index, [] {}); },
        {0, 1}, {});
}

void sc_read_delete_files()
{
    read_survives(0, "async_delete_files",
        [](Env& env, Torrent& t) {
            env.dio->async_delete_files(t.index, lt::remove_flags_t{},
                [](lt::storage_error const&) {});
        },
        {0, 1}, {0, 1});
}

void sc_read_remove_torrent()
{
    Env env(0);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_piece(env, t, p);
    env.drain();

    int done = 0;
    std::string const what = "read queued before remove_torrent";
    // exact bytes, or (once storage-generation is applied) operation_aborted
    // with no data: both survive; anything else fails
    int const n = queue_reads(env, t, {0, 1}, what, &done, true);
    t.holder.reset();   // remove_torrent(idx); the storage's buffers go away
    env.drain();
    expect_done(done, n, what);
}

void sc_read_eviction()
{
    // memory size of one piece: the storage keeps about three pieces and
    // evicts the least recently written ones when new pieces arrive
    read_survives(kPieceLen, "eviction by later writes",
        [](Env& env, Torrent& t) {
            for (int p = 3; p < kPieces; ++p) write_piece(env, t, p, "evicting write");
        },
        {0, 1, 2}, {0, 1, 2});
}

// copy-on-read: completions destroyed unrun (io_context destroyed before the
// disk I/O) leak nothing
void sc_dropped_completions()
{
    Env env(0);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_piece(env, t, p);
    env.drain();

    int done = 0;
    for (int p = 0; p < kPieces; ++p)
    {
        queue_reads(env, t, {p}, "dropped read", &done);
        env.dio->async_hash(t.index, lt::piece_index_t(p), lt::span<lt::sha256_hash>(),
            lt::disk_interface::v1_hash,
            [](lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&) {});
    }
    env.ioc.reset();    // pending completions are destroyed without running
    env.shutdown();     // then the storages and the disk I/O
    if (done != 0) fail("a completion ran although its io_context was destroyed");
}

// ===========================================================================
// copy-on-read: reads racing writes and clears
// ===========================================================================

// Two threads read, one writes pieces (a cleared piece is allocated again
// when it is rewritten) and one clears them, two threads run completions.
// Every delivered block is either the piece's own bytes or all zeros (a block
// of a piece rewritten but not yet that far).
void sc_read_write_race()
{
    Env env(0);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_piece(env, t, p);
    env.drain();
    env.ioc->restart();   // drain() ran it until it stopped
    auto guard = lt::make_work_guard(*env.ioc);
    std::vector<std::thread> io_threads;
    for (int i = 0; i < 2; ++i) io_threads.emplace_back([&env] { env.ioc->run(); });

    std::atomic<int> outstanding{0};
    std::atomic<long> checked{0};
    std::atomic<bool> stop{false};
    lt::disk_interface& dio = *env.dio;
    lt::storage_index_t const idx = t.index;
    std::uint32_t const tag = t.tag;

    auto check = [tag](int piece, int start, lt::disk_buffer_holder const& buf) {
        // block by block: the pattern, or zeros
        int pos = 0;
        while (pos < buf.size())
        {
            int const off = start + pos;
            int const len = std::min(static_cast<int>(buf.size()) - pos, kBlock - off % kBlock);
            std::vector<char> const exp = pattern(tag, piece, off, len);
            bool const same = std::memcmp(buf.data() + pos, exp.data(), static_cast<std::size_t>(len)) == 0;
            bool const zero = std::all_of(buf.data() + pos, buf.data() + pos + len, [](char c) { return c == 0; });
            if (!same && !zero) return false;
            pos += len;
        }
        return true;
    };

    std::vector<std::thread> workers;
    for (int r = 0; r < 2; ++r)
        workers.emplace_back([&, r] {
            std::mt19937 rng(911u + static_cast<unsigned>(r));
            for (int i = 0; i < 3000; ++i)
            {
                while (outstanding.load() > 64) std::this_thread::yield();
                int const piece = static_cast<int>(rng() % static_cast<unsigned>(kPieces));
                int const start = static_cast<int>(rng() % static_cast<unsigned>(kPieceLen));
                int const len = 1 + static_cast<int>(rng() % static_cast<unsigned>(kPieceLen - start));
                outstanding.fetch_add(1);
                dio.async_read(idx, request(piece, start, len),
                    [&, piece, start](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                        if (!ec && buf.data() != nullptr)
                        {
                            if (!check(piece, start, buf)) fail("a read racing writes and clears delivered bytes that are not its piece's");
                            else checked.fetch_add(1);
                        }
                        outstanding.fetch_sub(1);
                    });
            }
        });
    std::thread writer([&] {
        std::mt19937 rng(4711u);
        while (!stop.load())
        {
            while (outstanding.load() > 64 && !stop.load()) std::this_thread::yield();
            int const piece = static_cast<int>(rng() % static_cast<unsigned>(kPieces));
            for (int off = 0; off < kPieceLen; off += kBlock)
            {
                std::vector<char> const buf = pattern(tag, piece, off, kBlock);
                outstanding.fetch_add(1);
                dio.async_write(idx, request(piece, off, kBlock), buf.data(),
                    std::shared_ptr<lt::disk_observer>(),
                    [&](lt::storage_error const&) { outstanding.fetch_sub(1); });
            }
            std::this_thread::yield();
        }
    });
    std::thread clearer([&] {
        std::mt19937 rng(1213u);
        while (!stop.load())
        {
            while (outstanding.load() > 64 && !stop.load()) std::this_thread::yield();
            outstanding.fetch_add(1);
            dio.async_clear_piece(idx, lt::piece_index_t(static_cast<int>(rng() % static_cast<unsigned>(kPieces))),
                [&](lt::piece_index_t) { outstanding.fetch_sub(1); });
            std::this_thread::yield();
        }
    });
    for (auto& th : workers) th.join();
    stop.store(true);
    writer.join();
    clearer.join();
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (outstanding.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (outstanding.load() != 0) fail(std::to_string(outstanding.load()) + " completions never ran");
    guard.reset();
    for (auto& th : io_threads) th.join();
    env.shutdown();
    std::fprintf(stderr, "NOTE read-write-race: %ld reads delivered data and were checked\n", checked.load());
    if (g_failures.empty() && checked.load() == 0) fail("no read delivered data, nothing was checked");
}

} // namespace
} // namespace hand
} // namespace memfix

MEMFIX_SCENARIOS(
    {"read-clear-piece", "copy-on-read", "asan",
        "a read queued before async_clear_piece delivers the exact bytes", hand::sc_read_clear_piece},
    {"read-release-files", "copy-on-read", "asan",
        "a read queued before async_release_files delivers the exact bytes", hand::sc_read_release_files},
    {"read-delete-files", "copy-on-read", "asan",
        "a read queued before async_delete_files delivers the exact bytes", hand::sc_read_delete_files},
    {"read-remove-torrent", "copy-on-read", "asan",
        "a read queued before remove_torrent delivers the exact bytes, or operation_aborted and no data", hand::sc_read_remove_torrent},
    {"read-eviction", "copy-on-read", "asan",
        "a read queued before its piece is evicted by later writes (small memory size) delivers the exact bytes",
        hand::sc_read_eviction},
    {"read-write-race", "copy-on-read", "asan,tsan",
        "reads on two threads race a writer that reallocates cleared pieces and a thread that clears them; every delivered block is its piece's bytes or zeros",
        hand::sc_read_write_race},
    {"dropped-completions", "copy-on-read", "asan",
        "read completions destroyed unrun with their io_context leak nothing (LeakSanitizer)",
        hand::sc_dropped_completions},
)
