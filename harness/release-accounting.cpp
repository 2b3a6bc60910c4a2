// memfix harness: the scenarios that prove release-accounting.
//
// Release keeps the data; delete drops it with its accounting, so a memory
// limit never livelocks (the hand-driven scenarios run under a Watchdog), and
// real sessions that finish, flush, recheck and reseed keep every piece.

#include "harness.hpp"
#include "hand.hpp"
#include "live.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// write a whole piece with the byte pattern of `tag` (a torrent's bytes
// written again later under another tag are told apart from the first ones)
void write_tagged(Env& env, lt::storage_index_t idx, std::uint32_t tag, int piece)
{
    for (int off = 0; off < kPieceLen; off += kBlock)
    {
        std::vector<char> const buf = pattern(tag, piece, off, kBlock);
        env.dio->async_write(idx, request(piece, off, kBlock), buf.data(),
            std::shared_ptr<lt::disk_observer>(),
            [piece](lt::storage_error const& ec) {
                progress();
                if (ec) fail("write of piece " + std::to_string(piece)
                    + " reported an error: " + ec.ec.message());
            });
    }
    // then its hash check, as libtorrent runs it
    hash_written(env, idx, piece);
}


// With a memory limit of a few pieces: fill the storage (it evicts), drop
// every piece with `op`, then write every piece again. Each new piece makes
// the storage trim; with the accounting left stale by `op`, trim() picks
// pieces that are gone and never frees anything (a livelock, mutex held).
// The storage must then hold as many pieces as it did the first time.
// With `keeps` (async_release_files), the op must drop nothing: every piece
// held before it reads back, exact, after it.
void drop_then_write(char const* name, char const* op_name,
    std::function<void(Env&, Torrent&)> const& drop, bool keeps = false)
{
    Watchdog watchdog(name);
    Env env(2 * std::int64_t(kPieceLen));   // a limit of about four pieces
    Torrent& t = env.add(1);

    watchdog.step("writing pieces 0-7 (the storage evicts)");
    for (int p = 0; p < kPieces; ++p) write_tagged(env, t.index, 1, p);
    env.drain();
    std::vector<int> const first = held_pieces(env, t.index, 1);
    if (first.empty() || int(first.size()) >= kPieces || first.back() != kPieces - 1)
    {
        fail(std::string("precondition: with a memory limit of two pieces the storage holds ")
            + pieces_text(first) + " of 8 written: the scenario needs a limit that evicts");
        return;
    }

    watchdog.step(std::string("running ") + op_name);
    drop(env, t);
    env.drain();
    std::vector<int> const after = held_pieces(env, t.index, 1);
    if (keeps && after != first)
    {
        fail(std::string(op_name) + " dropped piece data: before it the storage held "
            + pieces_text(first) + ", after it " + pieces_text(after));
        return;
    }
    if (!keeps && !after.empty())
        note(std::string(op_name) + " left pieces readable; the scenario did not drop piece data");

    watchdog.step(std::string("writing new pieces after ") + op_name
        + " (a new piece makes the storage trim; a stale accounting makes trim() spin)");
    for (int p = 0; p < kPieces; ++p) write_tagged(env, t.index, 2, p);
    env.drain();

    watchdog.step("reading the pieces back");
    std::vector<int> const again = held_pieces(env, t.index, 2);
    if (again.size() != first.size())
        fail(std::string("after ") + op_name + " and 8 new pieces the storage holds "
            + pieces_text(again) + ", before it held " + pieces_text(first)
            + ": its count of held pieces or its LRU is off");
    else if (again.back() != kPieces - 1)
        fail("the last piece written is not held: " + pieces_text(again));
}

void sc_release_then_write()
{
    drop_then_write("release-then-write", "async_release_files",
        [](Env& env, Torrent& t) { env.dio->async_release_files(t.index, [] {}); }, true);
}

// libtorrent releases a torrent's files when it finishes, on flush_cache,
// save_resume_data(flush_disk_cache) and force_recheck: to close files and
// flush caches, never to drop data. Pieces 0-6 written whole and piece 7's
// first block, async_release_files, then piece 7's second block: every piece
// reads back exact and piece 7 hashes right (a flush in the middle of a piece
// keeps the blocks written so far).
void sc_release_keeps_data()
{
    Watchdog watchdog("release-keeps-data");
    Env env(0);
    Torrent& t = env.add(7);
    for (int p = 0; p + 1 < kPieces; ++p) write_tagged(env, t.index, t.tag, p);
    int const last = kPieces - 1;
    std::vector<char> const first_block = pattern(t.tag, last, 0, kBlock);
    env.dio->async_write(t.index, request(last, 0, kBlock), first_block.data(),
        std::shared_ptr<lt::disk_observer>(), [](lt::storage_error const&) {});
    env.drain();

    watchdog.step("running async_release_files");
    bool released = false;
    env.dio->async_release_files(t.index, [&released] { released = true; });
    env.drain();
    if (!released) fail("async_release_files never called its handler");

    watchdog.step("writing the last block of the last piece");
    std::vector<char> const second_block = pattern(t.tag, last, kBlock, kBlock);
    env.dio->async_write(t.index, request(last, kBlock, kBlock), second_block.data(),
        std::shared_ptr<lt::disk_observer>(), [](lt::storage_error const&) {});
    env.drain();

    watchdog.step("reading and hashing every piece");
    std::vector<int> const held = held_pieces(env, t.index, t.tag);
    if (int(held.size()) != kPieces)
        fail("after async_release_files the storage holds " + pieces_text(held)
            + " of the 8 pieces written: releasing files dropped piece data");
    bool hashed = false;
    env.dio->async_hash(t.index, lt::piece_index_t(last), lt::span<lt::sha256_hash>(),
        lt::disk_interface::v1_hash,
        [&hashed, &t, last](lt::piece_index_t, lt::sha1_hash const& h, lt::storage_error const& ec) {
            hashed = true;
            if (ec) fail("the piece written across async_release_files does not hash: " + ec.ec.message());
            else if (h != piece_sha1(t.tag, last))
                fail("the piece written across async_release_files hashes wrong: its first block was dropped");
        });
    env.drain();
    if (!hashed) fail("async_hash never completed");
}

void sc_delete_then_write()
{
    drop_then_write("delete-then-write", "async_delete_files",
        [](Env& env, Torrent& t) {
            env.dio->async_delete_files(t.index, lt::remove_flags_t{},
                [](lt::storage_error const&) {});
        });
}

// Several threads write, hash, clear, release and delete with a small limit
// while two threads run completions; hashes are checked. `stress` leaves
// release/delete out: on a tree without release-accounting it would hang
// there, and its verdict is about the analysis' four fixes. No reads here
// either, so that this scenario proves release-accounting alone.
void sc_stress_release()
{
    Watchdog watchdog("stress-release");
    Env env(3 * std::int64_t(kPieceLen));
    std::vector<Torrent*> mine;
    for (int w = 0; w < 3; ++w) mine.push_back(&env.add(static_cast<std::uint32_t>(200 + w)));
    auto guard = lt::make_work_guard(*env.ioc);
    std::vector<std::thread> io_threads;
    for (int i = 0; i < 2; ++i) io_threads.emplace_back([&env] { env.ioc->run(); });

    watchdog.step("3 threads writing, hashing, clearing, releasing and deleting");
    std::atomic<int> outstanding{0};
    std::atomic<int> checked{0};
    std::atomic<int> drops{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w)
    {
        workers.emplace_back([&, w] {
            lt::disk_interface& dio = *env.dio;
            Torrent const& t = *mine[static_cast<std::size_t>(w)];
            std::mt19937 rng(static_cast<unsigned>(w) * 104729u + 7u);
            for (int i = 0; i < 400; ++i)
            {
                while (outstanding.load() > 64) std::this_thread::yield();
                int const piece = static_cast<int>(rng() % kPieces);
                int const op = static_cast<int>(rng() % 100);
                std::uint32_t const tag = t.tag;
                if (op < 50)
                {
                    for (int off = 0; off < kPieceLen; off += kBlock)
                    {
                        std::vector<char> const buf = pattern(tag, piece, off, kBlock);
                        outstanding.fetch_add(1);
                        dio.async_write(t.index, request(piece, off, kBlock), buf.data(),
                            std::shared_ptr<lt::disk_observer>(),
                            [&outstanding](lt::storage_error const&) { outstanding.fetch_sub(1); progress(); });
                    }
                }
                else if (op < 80)
                {
                    outstanding.fetch_add(1);
                    dio.async_hash(t.index, lt::piece_index_t(piece), lt::span<lt::sha256_hash>(),
                        lt::disk_interface::v1_hash,
                        [&outstanding, &checked, tag, piece](lt::piece_index_t, lt::sha1_hash const& h,
                            lt::storage_error const& ec) {
                            if (!ec)
                            {
                                if (h != piece_sha1(tag, piece))
                                    fail("stress-release: async_hash returned the hash of other bytes");
                                else
                                    checked.fetch_add(1);
                            }
                            outstanding.fetch_sub(1);
                            progress();
                        });
                }
                else if (op < 88)
                {
                    outstanding.fetch_add(1);
                    dio.async_clear_piece(t.index, lt::piece_index_t(piece),
                        [&outstanding](lt::piece_index_t) { outstanding.fetch_sub(1); progress(); });
                }
                else if (op < 94)
                {
                    outstanding.fetch_add(1);
                    drops.fetch_add(1);
                    dio.async_release_files(t.index, [&outstanding] { outstanding.fetch_sub(1); progress(); });
                }
                else
                {
                    outstanding.fetch_add(1);
                    drops.fetch_add(1);
                    dio.async_delete_files(t.index, lt::remove_flags_t{},
                        [&outstanding](lt::storage_error const&) { outstanding.fetch_sub(1); progress(); });
                }
            }
        });
    }
    for (auto& th : workers) th.join();

    watchdog.step("waiting for the completions");
    while (outstanding.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    guard.reset();
    for (auto& th : io_threads) th.join();
    env.shutdown();
    std::fprintf(stderr, "NOTE stress-release: %d hashes checked, %d releases/deletes\n",
        checked.load(), drops.load());
    if (g_failures.empty() && (checked.load() == 0 || drops.load() == 0))
        fail("stress-release: nothing was checked");
}

} // namespace
} // namespace hand
} // namespace memfix

// real sessions over loopback (live.hpp)
namespace memfix {
namespace live {
namespace {

void sc_download_v1() { download(lt::create_torrent::v1_only, "v1"); }

// the memory-disk session, finished, seeds to a third session alone
void sc_reseed()
{
    Watchdog dog(60s);
    auto seeder = disk_peer("seeder");
    auto mem = memory_peer("memory", 0);
    auto third = disk_peer("third");
    auto t = make_torrent(seeder->dir->path, "memfix-reseed", kMixedSizes, kPieceLen, lt::create_torrent::v1_only);
    Tracker tr;
    tr.peers = {seeder.get(), mem.get(), third.get()};
    seed(*seeder, t);
    Tracked& m = tr.track(*mem, add(*mem, t, "."), t, "reseed");
    connect(m.h, *seeder);
    if (!tr.until([&] { return Tracker::settled(m); }, 30s, "downloading into the memory disk")) return;
    // the only source left is the memory disk
    phase("destroying the first seeder");
    tr.peers = {mem.get(), third.get()};
    seeder->ses.reset();
    Tracked& c = tr.track(*third, add(*third, t, third->dir->path), t, "reseed");
    c.read_on_piece = false;
    connect(c.h, *mem);
    if (!tr.until([&] { return Tracker::settled(c); }, 30s, "seeding from the memory disk to a third session")) return;
    tr.read_all(m);
    ++m.finished;   // one more round
    if (!tr.until([&] { return Tracker::settled(m); }, 10s, "reading the memory disk after seeding")) return;
    tr.final_checks();
}

// pause, resume, flush_cache, force_recheck, save_resume_data(flush_disk_cache),
// remove and re-add (slot reuse), while another thread calls the wrappers
void sc_churn()
{
    Watchdog dog(90s);
    auto seeder = disk_peer("seeder");
    // a memory size as large as a torrent: accounting without eviction
    auto leecher = memory_peer("leecher", 1 << 20);
    auto t1 = make_torrent(seeder->dir->path, "memfix-churn1", kMixedSizes, kPieceLen, lt::create_torrent::v1_only);
    // hybrid, every file 16 KiB-aligned: no v2 block-hash case
    auto t2 = make_torrent(seeder->dir->path, "memfix-churn2", kAlignedSizes, kPieceLen, {});
    auto t3 = make_torrent(seeder->dir->path, "memfix-churn3", {8 * std::int64_t(kPieceLen)}, kPieceLen,
        lt::create_torrent::v1_only);
    Tracker tr;
    tr.peers = {seeder.get(), leecher.get()};
    for (auto const& t : {t1, t2, t3}) seed(*seeder, t).set_upload_limit(600 * 1024);
    WrapperCaller wrappers(4, 16);

    auto start_download = [&](std::shared_ptr<TorrentData> const& t, char const* label) -> Tracked& {
        Tracked& x = tr.track(*leecher, add(*leecher, t, "."), t, label);
        connect(x.h, *seeder);
        return x;
    };
    auto pieces_of = [&](Tracked& x) { return x.piece_finished.size(); };
    Tracked* a = &start_download(t1, "churn1");
    Tracked* b = &start_download(t2, "churn2");

    if (!tr.until([&] { return pieces_of(*a) >= 2 || a->finished; }, 20s, "waiting for churn1's first pieces")) return;
    // reads of finished pieces queued before each release
    auto read_finished = [&](Tracked& x) { for (auto const& f : x.piece_finished) tr.read(x, f.first); };
    phase("pause, flush_cache, resume");
    read_finished(*a);
    read_finished(*b);
    a->h.pause();
    b->h.flush_cache();
    tr.pump(100ms);
    a->h.resume();
    connect(a->h, *seeder);

    if (!tr.until([&] { return pieces_of(*b) >= 2 || b->finished; }, 20s, "waiting for churn2's first pieces")) return;
    phase("save_resume_data with flush_disk_cache");
    read_finished(*a);
    read_finished(*b);
    a->h.save_resume_data(lt::torrent_handle::flush_disk_cache);
    b->h.save_resume_data(lt::torrent_handle::flush_disk_cache);
    tr.pump(50ms);
    phase("force_recheck");
    b->h.force_recheck();
    connect(b->h, *seeder);

    phase("remove and re-add");
    tr.pump(50ms);
    a->removed = true;
    leecher->ses->remove_torrent(a->h);
    // a new torrent takes the slot churn1 left; churn1 comes back in another
    Tracked* c = &start_download(t3, "churn3");
    a = &start_download(t1, "churn1-again");

    auto all_settled = [&] { return Tracker::settled(*a) && Tracker::settled(*b) && Tracker::settled(*c); };
    if (!tr.until(all_settled, 40s, "downloading churn1-again, churn2, churn3")) return;

    // finished torrents: flush, save with flush, pause and resume, recheck:
    // then every piece must read back again
    phase("churning the finished torrents");
    for (Tracked* x : {a, b, c})
    {
        x->h.flush_cache();
        x->h.save_resume_data(lt::torrent_handle::flush_disk_cache);
        x->h.pause();
        x->h.resume();
    }
    c->h.force_recheck();
    connect(c->h, *seeder);
    tr.pump(100ms);
    for (Tracked* x : {a, b})
    {
        tr.read_all(*x);
        ++x->finished;
    }
    if (!tr.until(all_settled, 40s, "reading back after the churn")) return;
    if (wrappers.calls.load() == 0) fail("the wrapper thread never ran");
    tr.pump(50ms);
    tr.final_checks();
}

} // namespace
} // namespace live
} // namespace memfix

MEMFIX_SCENARIOS(
    {"release-keeps-data", "release-accounting", "asan",
        "async_release_files between two blocks of a piece: every piece reads back exact, the piece hashes right",
        hand::sc_release_keeps_data},
    {"release-then-write", "release-accounting", "asan",
        "memory limit of a few pieces: fill, async_release_files (every held piece stays), write every piece again: no hang (watchdog), as many pieces held as before",
        hand::sc_release_then_write},
    {"delete-then-write", "release-accounting", "asan",
        "memory limit of a few pieces: fill, async_delete_files, write every piece again: no hang (watchdog), as many pieces held as before",
        hand::sc_delete_then_write},
    {"stress-release", "release-accounting", "asan,tsan",
        "3 threads write/hash/clear/release/delete with a small memory limit while 2 threads run completions: no hang (watchdog), hashes exact",
        hand::sc_stress_release},
    {"session-v1", "release-accounting", "asan",
        "a v1 torrent (files aligned and not to 16 KiB) downloads from a default-disk session into the memory disk; every piece reads back as it finishes and after torrent_finished",
        live::sc_download_v1, Exit::at_once},
    {"session-reseed", "release-accounting", "asan",
        "the finished memory-disk session is the only seed of a third session, which gets every piece",
        live::sc_reseed, Exit::at_once},
    {"session-churn", "release-accounting", "asan,tsan",
        "pause, resume, flush_cache, force_recheck, save_resume_data(flush_disk_cache), remove and re-add (slot reuse), wrappers called from another thread; every piece reads back",
        live::sc_churn, Exit::at_once},
)
