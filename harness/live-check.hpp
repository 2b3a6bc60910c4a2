// memfix harness: the Tracker that checks real sessions (every alert, every
// piece read back), the thread that calls the lookbehind wrappers all along,
// the torrent sizes, and download(), shared by session-v1, -v2 and -hybrid.
// Included by live.hpp.
#ifndef MEMFIX_HARNESS_LIVE_CHECK_HPP
#define MEMFIX_HARNESS_LIVE_CHECK_HPP

#include "live.hpp"

namespace memfix {
namespace live {
namespace {

// ---------------------------------------------------------------------------
// Tracker: every alert of every session goes through here. A tracked torrent
// (on any session) has every read checked against the expected bytes; hash
// failures, file errors, torrent errors and pauses for an error fail the
// scenario. Reads are issued when a piece finishes (read_on_piece) and for
// every piece once the torrent finished (read_after_finish).
// ---------------------------------------------------------------------------
struct Tracked
{
    Peer* peer = nullptr;
    lt::torrent_handle h;
    std::shared_ptr<TorrentData> data;
    std::string label;
    bool read_on_piece = true;
    bool read_after_finish = true;
    bool removed = false;
    // a read may come back operation_aborted: what the memory disk I/O reports
    // for a piece it evicted (libtorrent 2.0 still counts it as had); on_read
    // gets it as a failed read and decides (see sc_stream)
    bool gone_ok = false;

    int finished = 0;            // torrent_finished_alerts seen
    int rounds_done = 0;         // complete read-every-piece rounds after a finish
    int round_left = 0;          // reads left in the current round
    int outstanding = 0;         // reads issued, not answered
    int reads_ok = 0;
    int read_errors = 0;
    std::map<int, int> piece_finished;   // piece -> piece_finished_alerts
    std::function<void(int piece, bool ok)> on_read;   // optional, per answered read
};

std::string status_text(lt::torrent_handle const& h)
{
    try
    {
        lt::torrent_status const st = h.status();
        std::string s = "state " + std::to_string(int(st.state)) + ", " + std::to_string(st.num_pieces) + " pieces";
        if (st.flags & lt::torrent_flags::paused) s += ", paused";
        if (st.errc) s += ", error: " + st.errc.message();
        return s;
    }
    catch (std::exception const& e)
    {
        return std::string("no status (") + e.what() + ")";
    }
}

struct Tracker
{
    std::vector<Peer*> peers;
    std::vector<std::unique_ptr<Tracked>> tracked;
    // a session being destroyed on purpose: its read errors are expected
    bool quiet_reads = false;

    Tracked& track(Peer& p, lt::torrent_handle h, std::shared_ptr<TorrentData> data, std::string label)
    {
        tracked.emplace_back(new Tracked);
        Tracked& t = *tracked.back();
        t.peer = &p;
        t.h = h;
        t.data = std::move(data);
        t.label = p.name + "/" + std::move(label);
        return t;
    }

    Tracked* find(Peer* p, lt::torrent_handle const& h)
    {
        for (auto& t : tracked)
            if (t->peer == p && !t->removed && t->h == h) return t.get();
        return nullptr;
    }

    void read(Tracked& t, int piece)
    {
        ++t.outstanding;
        t.h.read_piece(lt::piece_index_t(piece));
    }

    void read_all(Tracked& t)
    {
        t.round_left = t.data->num_pieces();
        for (int p = 0; p < t.data->num_pieces(); ++p) read(t, p);
    }

    void handle(Peer& p, lt::alert* a)
    {
        progress();
        static bool const debug = std::getenv("MEMFIX_SESSION_DEBUG") != nullptr;
        if (debug)
            std::fprintf(stderr, "NOTE %8.3f %s: %s\n", std::chrono::duration<double>(clock_type::now() - g_start).count(),
                p.name.c_str(), a->message().c_str());
        if (auto* r = lt::alert_cast<lt::read_piece_alert>(a))
        {
            Tracked* t = find(&p, r->handle);
            if (!t) return;
            int const piece = static_cast<int>(r->piece);
            --t->outstanding;
            bool ok = false;
            if (r->error)
            {
                ++t->read_errors;
                if (t->gone_ok && r->error == boost::asio::error::operation_aborted)
                    note(t->label + ": read_piece(" + std::to_string(piece) + "): the memory disk no longer holds it");
                else if (!quiet_reads)
                    fail_while(t->label + ": read_piece(" + std::to_string(piece) + ") failed: " + r->error.message());
            }
            else
            {
                std::vector<char> const want = t->data->piece(piece);
                if (r->size != int(want.size()) || std::memcmp(r->buffer.get(), want.data(), want.size()) != 0)
                {
                    std::size_t at = 0;
                    while (at < want.size() && int(at) < r->size && r->buffer[std::ptrdiff_t(at)] == want[at]) ++at;
                    fail(t->label + ": read_piece(" + std::to_string(piece) + ") returned other bytes (size "
                        + std::to_string(r->size) + " of " + std::to_string(want.size()) + ", first difference at "
                        + std::to_string(at) + ")");
                }
                else
                {
                    ok = true;
                    ++t->reads_ok;
                }
            }
            if (t->round_left > 0 && --t->round_left == 0) ++t->rounds_done;
            if (t->on_read) t->on_read(piece, ok);
        }
        else if (auto* f = lt::alert_cast<lt::piece_finished_alert>(a))
        {
            Tracked* t = find(&p, f->handle);
            if (!t) return;
            int const piece = static_cast<int>(f->piece_index);
            ++t->piece_finished[piece];
            if (t->read_on_piece) read(*t, piece);
        }
        else if (auto* fin = lt::alert_cast<lt::torrent_finished_alert>(a))
        {
            Tracked* t = find(&p, fin->handle);
            if (!t) return;
            ++t->finished;
            if (t->read_after_finish) read_all(*t);
        }
        else if (auto* hf = lt::alert_cast<lt::hash_failed_alert>(a))
        {
            fail_while(p.name + ": hash_failed_alert: " + hf->message());
        }
        else if (auto* fe = lt::alert_cast<lt::file_error_alert>(a))
        {
            if (!quiet_reads || !p.memory) fail_while(p.name + ": file_error_alert: " + fe->message());
        }
        else if (auto* te = lt::alert_cast<lt::torrent_error_alert>(a))
        {
            fail_while(p.name + ": torrent_error_alert: " + te->message());
        }
        else if (auto* pa = lt::alert_cast<lt::torrent_paused_alert>(a))
        {
            if (quiet_reads) return;
            try
            {
                lt::torrent_status const st = pa->handle.status();
                if (st.errc) fail_while(p.name + ": torrent paused by an error: " + st.errc.message());
            }
            catch (std::exception const&) {}   // a removed torrent
        }
        else if (auto* rm = lt::alert_cast<lt::torrent_removed_alert>(a))
        {
            (void)rm;
        }
    }

    // pop and handle every session's alerts for up to `wait`
    void pump(std::chrono::milliseconds wait = 20ms)
    {
        bool any = false;
        std::vector<lt::alert*> alerts;
        for (Peer* p : peers)
        {
            if (!p->ses) continue;
            p->ses->pop_alerts(&alerts);
            for (lt::alert* a : alerts) handle(*p, a);
            any = any || !alerts.empty();
        }
        if (!any && !peers.empty())
        {
            for (Peer* p : peers)
                if (p->ses)
                {
                    p->ses->wait_for_alert(wait);
                    break;
                }
        }
    }

    // pump until done() (true) or the time is up / a failure is recorded (false)
    bool until(std::function<bool()> done, std::chrono::seconds limit, std::string const& what,
        bool stop_on_failure = true)
    {
        phase(what);
        auto const deadline = clock_type::now() + limit;
        while (!done())
        {
            if (stop_on_failure && failed()) return false;
            if (clock_type::now() > deadline)
            {
                std::string st;
                for (auto& t : tracked)
                    if (!t->removed) st += "; " + t->label + ": " + status_text(t->h) + ", " + std::to_string(t->reads_ok)
                        + " reads ok, " + std::to_string(t->outstanding) + " outstanding";
                fail("timed out after " + std::to_string(limit.count()) + " s while " + what + st);
                return false;
            }
            pump();
        }
        return true;
    }

    // every piece read once after the torrent's latest finish, nothing outstanding
    static bool settled(Tracked const& t)
    {
        return t.finished > 0 && t.rounds_done >= t.finished && t.outstanding == 0;
    }

    void final_checks()
    {
        for (auto& t : tracked)
        {
            if (t->removed) continue;
            try
            {
                lt::torrent_status const st = t->h.status();
                if (st.errc) fail(t->label + ": torrent in error: " + st.errc.message());
                if (st.flags & lt::torrent_flags::paused) fail(t->label + ": torrent left paused");
            }
            catch (std::exception const& e)
            {
                fail(t->label + ": no status: " + e.what());
            }
        }
    }
};

void connect(lt::torrent_handle const& h, Peer const& to) { h.connect_peer(to.endpoint()); }

// ---------------------------------------------------------------------------
// The lookbehind wrappers, called from another thread all along (Go calls
// them from its own threads while the session runs).
// ---------------------------------------------------------------------------
struct WrapperCaller
{
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0};
    std::thread th;
    explicit WrapperCaller(int slots, int pieces)
    {
        th = std::thread([this, slots, pieces] {
            std::mt19937 rng(4242u);
            while (!stop.load())
            {
                int const slot = static_cast<int>(rng() % unsigned(slots));
                int const piece = static_cast<int>(rng() % unsigned(pieces));
                lt::memory_disk_set_lookbehind(slot, {piece, piece + 1});
                (void)lt::memory_disk_is_lookbehind_available(slot, piece);
                int a = 0;
                int p = 0;
                std::int64_t m = 0;
                lt::memory_disk_get_lookbehind_stats(slot, a, p, m);
                lt::memory_disk_clear_lookbehind(slot);
                calls.fetch_add(1);
                std::this_thread::sleep_for(200us);
            }
        });
    }
    ~WrapperCaller()
    {
        stop.store(true);
        th.join();
    }
};

// sizes: piece-aligned, unaligned, 16 KiB-aligned (not piece-aligned), a small
// unaligned one, an unaligned last one. Pieces of 64 KiB (4 blocks).
constexpr int kPieceLen = 4 * kBlock;
std::vector<std::int64_t> const kMixedSizes = {3 * kPieceLen, 100000, 5 * kBlock, 7000, 150001};
std::vector<std::int64_t> const kAlignedSizes = {2 * kPieceLen, 3 * kBlock, 5 * kBlock};

// download from a default-disk seeder into the memory disk; read every piece
// as it finishes, and every piece again after torrent_finished
void download(lt::create_flags_t flags, char const* kind)
{
    Watchdog dog(60s);
    auto seeder = disk_peer("seeder");
    auto leecher = memory_peer("leecher", 0);
    auto t = make_torrent(seeder->dir->path, std::string("memfix-") + kind, kMixedSizes, kPieceLen, flags);
    Tracker tr;
    tr.peers = {seeder.get(), leecher.get()};
    // slow until the first piece is in (the rest takes seconds at this rate),
    // then unlimited: the flush below lands mid-transfer
    lt::torrent_handle const s = seed(*seeder, t);
    s.set_upload_limit(128 * 1024);
    Tracked& l = tr.track(*leecher, add(*leecher, t, "."), t, kind);
    connect(l.h, *seeder);
    // mid-transfer, reads of the finished pieces queued before flush_cache
    // (handle calls run in order: every read is submitted before the release)
    bool flushed = false;
    if (!tr.until([&] {
            if (!flushed && !l.piece_finished.empty() && !l.finished)
            {
                flushed = true;
                for (auto const& f : l.piece_finished) tr.read(l, f.first);
                l.h.flush_cache();
                s.set_upload_limit(0);
            }
            return Tracker::settled(l);
        }, 40s, std::string("downloading the ") + kind + " torrent"))
        return;
    if (!flushed) note("the download finished before flush_cache could be called mid-transfer");
    for (int p = 0; p < t->num_pieces(); ++p)
        if (l.piece_finished[p] == 0) fail(l.label + ": no piece_finished_alert for piece " + std::to_string(p));
    // the finished torrent: reads queued before flush_cache, then every piece
    // again after it
    tr.read_all(l);
    l.h.flush_cache();
    ++l.finished;
    if (!tr.until([&] { return Tracker::settled(l); }, 10s, "reading across flush_cache")) return;
    tr.read_all(l);
    ++l.finished;
    if (!tr.until([&] { return Tracker::settled(l); }, 10s, "reading after flush_cache")) return;
    tr.pump(50ms);
    tr.final_checks();
}

} // namespace
} // namespace live
} // namespace memfix

#endif
