// memfix harness: the scenarios that prove eviction.
//
// With a memory limit, an evicted piece reads back operation_aborted (never a
// failure), unverified pieces stay, and a streaming session gets evicted pieces
// back.

#include "harness.hpp"
#include "hand.hpp"
#include "live.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// eviction: with a memory limit of about three pieces, every piece written
// and hashed (as libtorrent does): the first ones are evicted, and a read of
// one must come back aborted (libtorrent reports it and goes on), never failed
// (libtorrent pauses the torrent for a failed read).
void sc_evicted_read_aborted()
{
    Env env(kPieceLen);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_piece(env, t, p);
    env.drain();
    std::vector<int> const held = held_pieces(env, t.index, t.tag);
    if (held.empty() || held.front() == 0 || held.back() != kPieces - 1)
    {
        fail("precondition: with a memory limit of one piece the storage holds "
            + pieces_text(held) + " of 8 written and hashed: the scenario needs piece 0 evicted");
        return;
    }
    bool answered = false;
    env.dio->async_read(t.index, request(0, 0, kBlock),
        [&answered](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
            answered = true;
            if (!ec) fail("a read of evicted piece 0 reported no error");
            else if (!is_aborted(ec))
                fail("a read of evicted piece 0 failed with '" + ec.ec.message()
                    + "' (libtorrent pauses the torrent for it), not operation_aborted");
            else if (buf.data() != nullptr && buf.size() != 0)
                fail("an aborted read of evicted piece 0 delivered data");
        });
    env.drain();
    if (!answered) fail("the read of evicted piece 0 never completed");
}

// eviction: pieces whose blocks are written but that libtorrent has not
// hashed yet (still downloading, or waiting for their check) are not evicted,
// whatever the limit: libtorrent counts those blocks as written and would fail
// the piece's check (and blame its peers) without them.
void sc_unverified_kept()
{
    Env env(kPieceLen);
    Torrent& t = env.add(1);
    for (int p = 0; p < kPieces; ++p) write_blocks(env, t, p);
    env.drain();
    std::vector<int> const held = held_pieces(env, t.index, t.tag);
    if (int(held.size()) != kPieces)
        fail("with 8 pieces written and none hashed yet the storage holds only "
            + pieces_text(held) + ": it evicted pieces libtorrent has not verified");
}

} // namespace
} // namespace hand
} // namespace memfix

// real sessions over loopback (live.hpp)
namespace memfix {
namespace live {
namespace {

// The two streaming scenarios' swarm: a seeder on disk and a leecher on the
// memory disk (a memory size of `memory_pieces` pieces), a v1 torrent of
// `pieces` pieces seeded, a Tracker watching both.
struct Swarm
{
    Swarm(char const* name, int pieces, int piece_len, int memory_pieces)
        : seeder(disk_peer("seeder"))
        , leecher(memory_peer("leecher", std::int64_t(memory_pieces) * piece_len))
        , t(make_torrent(seeder->dir->path, name, {std::int64_t(pieces) * piece_len}, piece_len,
              lt::create_torrent::v1_only))
    {
        tr.peers = {seeder.get(), leecher.get()};
        seed(*seeder, t);
    }
    std::unique_ptr<Peer> seeder;
    std::unique_ptr<Peer> leecher;
    std::shared_ptr<TorrentData> t;
    Tracker tr;
};

// A memory limit of a few pieces; a file many times larger streams through in
// order, like a player: a readahead window of pieces is wanted (smaller than
// the limit, as Elementum sizes it), each piece is read as it completes, and
// once read it is no longer wanted, so the storage evicts it for the pieces
// ahead. Then the player seeks back to pieces evicted long ago: they must come
// back. libtorrent 2.0 still counts them as had (a disk I/O cannot tell it
// otherwise, docs/FIXES.md "Eviction"): the read reports operation_aborted, and
// the player does what Elementum's Go side must do, force_recheck, after which
// the session downloads what the priorities want again.
void sc_stream()
{
    Watchdog dog(60s);
    int const piece_len = 2 * kBlock;
    int const pieces = 48;
    int const window = 2;
    // the memory size: two pieces (a limit of about four)
    Swarm sw("memfix-stream", pieces, piece_len, 2);
    Tracker& tr = sw.tr;
    auto& leecher = sw.leecher;
    auto& seeder = sw.seeder;
    auto const& t = sw.t;
    std::vector<lt::download_priority_t> prio(static_cast<std::size_t>(pieces), lt::dont_download);
    for (int p = 0; p < window; ++p) prio[std::size_t(p)] = lt::top_priority;
    Tracked& l = tr.track(*leecher, add(*leecher, t, ".", lt::torrent_flags::sequential_download, prio), t, "stream");
    l.read_on_piece = false;
    l.read_after_finish = false;
    l.gone_ok = true;

    // the player: read piece `want` once the session has it; a failed read
    // (without an error state: that fails the scenario) makes the session
    // forget what it had (force_recheck), and is tried again once the piece is
    // back
    int want = 0;
    bool reading = false;
    int tries = 0;
    std::vector<bool> read_ok(static_cast<std::size_t>(pieces), false);
    l.on_read = [&](int piece, bool ok) {
        reading = false;
        if (piece != want) return;
        if (ok)
            read_ok[std::size_t(piece)] = true;
        else if (++tries > 3)
            fail(l.label + ": piece " + std::to_string(piece) + " never read back after 3 tries");
        else
        {
            l.h.force_recheck();
            // a seed's recheck drops the piece priorities with its picker:
            // the player sets its own again (only the piece it wants)
            std::vector<lt::download_priority_t> only(static_cast<std::size_t>(pieces), lt::dont_download);
            only[std::size_t(want)] = lt::top_priority;
            l.h.prioritize_pieces(only);
        }
    };
    auto have = [&](int p) { return l.h.have_piece(lt::piece_index_t(p)); };
    auto play = [&](int p, std::string const& what) {
        want = p;
        tries = 0;
        return tr.until([&] {
            if (read_ok[std::size_t(p)]) return true;
            if (!reading && have(p))
            {
                reading = true;
                tr.read(l, p);
            }
            return false;
        }, 20s, what + " piece " + std::to_string(p));
    };
    connect(l.h, *seeder);
    for (int p = 0; p < pieces; ++p)
    {
        if (!play(p, "streaming")) return;
        l.h.piece_priority(lt::piece_index_t(p), lt::dont_download);
        if (p + window < pieces) l.h.piece_priority(lt::piece_index_t(p + window), lt::top_priority);
    }
    // seek back: the first pieces and one from the middle left memory long ago
    for (int p : {0, 1, pieces / 2})
    {
        if (have(p)) note("piece " + std::to_string(p) + ": the session says it still has it");
        read_ok[std::size_t(p)] = false;
        l.h.piece_priority(lt::piece_index_t(p), lt::top_priority);
        if (!play(p, "seeking back to")) return;
    }
    tr.pump(50ms);
    tr.final_checks();
}

// The memory limit without a player's priorities: a file 4 times the memory
// size downloads in order (sequential download, the torrent's own rate limit, so
// that each piece is read before later ones push it out), every piece is read
// as it finishes, and halfway the player seeks back to piece 0, evicted long
// ago. That read must not pause the torrent or post a file error: it comes
// back operation_aborted, the player calls force_recheck, and piece 0 comes
// back exact when the session downloads it again. The scenario ends there: the
// recheck has the session download the whole file again (8 s more at this
// rate), and pieces coming back after a seek, session-stream shows. Needs no
// release fix: nothing here finishes before the seek back.
void sc_seek_back()
{
    Watchdog dog(90s);
    int const piece_len = kBlock;
    int const pieces = 32;
    // the memory size: eight pieces (a limit of about ten)
    Swarm sw("memfix-seek-back", pieces, piece_len, 8);
    Tracker& tr = sw.tr;
    auto& leecher = sw.leecher;
    auto& seeder = sw.seeder;
    auto const& t = sw.t;
    Tracked& l = tr.track(*leecher, add(*leecher, t, ".", lt::torrent_flags::sequential_download), t, "seek-back");
    l.read_after_finish = false;
    l.gone_ok = true;
    // (a torrent's own limit: the session's leaves loopback peers unlimited)
    l.h.set_download_limit(64 * 1024);

    bool sought = false;      // the seek-back read was issued
    bool rechecked = false;   // ... came back aborted: force_recheck called
    bool back = false;        // ... and piece 0 read exact since
    l.on_read = [&](int piece, bool ok) {
        if (ok)
        {
            if (piece == 0 && rechecked) back = true;
            return;
        }
        if (piece == 0 && sought && !rechecked)
        {
            rechecked = true;
            l.h.force_recheck();
        }
        // between the re-check and piece 0's return, reads of pieces the
        // session forgot may abort too; any other failed read is a failure
        else if (!rechecked || back)
            fail(l.label + ": read_piece(" + std::to_string(piece) + ") came back without its data");
    };
    connect(l.h, *seeder);
    if (!tr.until([&] { return int(l.piece_finished.size()) >= pieces / 2; }, 40s, "streaming the first half")) return;
    if (l.finished) { fail(l.label + ": finished before the seek back"); return; }
    sought = true;
    tr.read(l, 0);
    if (!tr.until([&] { return rechecked; }, 10s, "seeking back to evicted piece 0")) return;
    if (!tr.until([&] { return back && l.outstanding == 0; }, 30s, "downloading again after force_recheck until piece 0 is back"))
        return;
    tr.pump(50ms);
    tr.final_checks();
}

} // namespace
} // namespace live
} // namespace memfix

MEMFIX_SCENARIOS(
    {"evicted-read-aborted", "eviction", "asan",
        "with a limit of a few pieces, a read of an evicted piece reports operation_aborted (libtorrent goes on), not a failure (libtorrent pauses the torrent)",
        hand::sc_evicted_read_aborted},
    {"unverified-kept", "eviction", "asan",
        "pieces written but not hashed yet are never evicted, whatever the limit",
        hand::sc_unverified_kept},
    {"session-stream", "eviction", "asan",
        "memory size of 2 pieces, a 48-piece file streams in order through a readahead window of 2, each piece read as it completes; pieces sought back after eviction come back",
        live::sc_stream, Exit::at_once},
    {"session-seek-back", "eviction", "asan",
        "memory size of 8 pieces, a 32-piece file downloads in order and every piece is read as it finishes; a seek back to evicted piece 0 neither pauses nor posts a file error, and the piece comes back exact after force_recheck",
        live::sc_seek_back, Exit::at_once},
)
