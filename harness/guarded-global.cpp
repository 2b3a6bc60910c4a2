// memfix harness: the scenarios that prove guarded-global.
//
// The lookbehind wrappers reach a live disk I/O and are harmless once it is
// destroyed, through every path that builds it.

#include "harness.hpp"
#include "hand.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// ===========================================================================
// guarded-global
// ===========================================================================

// the wrappers reach the disk I/O in env: a piece written to the torrent in
// slot `slot` is reported available once it is a lookbehind piece
bool wrappers_reach(int slot, int piece)
{
    lt::memory_disk_set_lookbehind(slot, {piece});
    bool const reached = lt::memory_disk_is_lookbehind_available(slot, piece);
    lt::memory_disk_clear_lookbehind(slot);
    return reached;
}

void expect_unreachable(int slot, std::string const& what)
{
    lt::memory_disk_set_lookbehind(slot, {0, 1});
    lt::memory_disk_clear_lookbehind(slot);
    if (lt::memory_disk_is_lookbehind_available(slot, 0))
        fail(what + "is_lookbehind_available answered true after the disk I/O was destroyed");
    int available = -1;
    int protected_count = -1;
    std::int64_t memory = -1;
    lt::memory_disk_get_lookbehind_stats(slot, available, protected_count, memory);
    if (available != 0 || protected_count != 0 || memory != 0)
        fail(what + "get_lookbehind_stats reported non-zero stats after the disk I/O was destroyed");
}

// every path that builds the disk I/O: the wrappers reach it while it lives,
// and are harmless once it is gone
void sc_global_after_destroy()
{
    for (int path = 0; path < memfix_disk_io_path_count(); ++path)
    {
        std::string const what = path_name(path);
        int slot = 0;
        {
            Env env(0, path);
            Torrent& t = env.add(1);
            write_piece(env, t, 0);
            env.drain();
            slot = t.slot();
            if (!wrappers_reach(slot, 0))
                fail(what + "the lookbehind wrappers do not reach the live disk I/O");
        }   // the disk I/O is destroyed here
        expect_unreachable(slot, what);
    }
}

void sc_global_two_instances()
{
    for (int path = 0; path < memfix_disk_io_path_count(); ++path)
    {
        std::string const what = path_name(path);
        auto a = std::make_unique<Env>(0, path);
        Torrent& ta = a->add(1);
        write_piece(*a, ta, 0);
        a->drain();

        Env b(0, path);
        Torrent& tb0 = b.add(2);
        Torrent& tb1 = b.add(3);
        write_piece(b, tb0, 0);
        write_piece(b, tb1, 0);
        write_piece(b, tb1, 1);
        b.drain();
        int const slot = tb1.slot();

        a.reset();   // destroy the older instance

        lt::memory_disk_set_lookbehind(slot, {0, 1, 2});
        if (!lt::memory_disk_is_lookbehind_available(slot, 0))
        {
            fail(what + "after destroying the older disk I/O the wrappers no longer reach the newer one");
            continue;
        }
        int available = -1;
        int protected_count = -1;
        std::int64_t memory = -1;
        lt::memory_disk_get_lookbehind_stats(slot, available, protected_count, memory);
        if (available != 2 || protected_count != 3 || memory != 2 * std::int64_t(kPieceLen))
            fail(what + "lookbehind stats of the newer disk I/O: available=" + std::to_string(available)
                + " protected=" + std::to_string(protected_count)
                + " memory=" + std::to_string(memory) + ", expected 2, 3, "
                + std::to_string(2 * kPieceLen));
        lt::memory_disk_clear_lookbehind(slot);
        if (lt::memory_disk_is_lookbehind_available(slot, 0))
            fail(what + "clear_lookbehind did not reach the newer disk I/O");
    }
}

// clear_global_memory_disk_io() (exported to Go) never cuts off a live disk I/O
void sc_global_clear_keeps_live()
{
    if (&lt::clear_global_memory_disk_io == nullptr)
        note("this tree has no clear_global_memory_disk_io(); only the wrappers are checked");
    for (int path = 0; path < memfix_disk_io_path_count(); ++path)
    {
        std::string const what = path_name(path);
        Env env(0, path);
        Torrent& t = env.add(1);
        write_piece(env, t, 0);
        env.drain();
        if (!wrappers_reach(t.slot(), 0))
        {
            fail(what + "the lookbehind wrappers do not reach the live disk I/O");
            continue;
        }
        if (&lt::clear_global_memory_disk_io != nullptr) lt::clear_global_memory_disk_io();
        if (!wrappers_reach(t.slot(), 0))
            fail(what + "clear_global_memory_disk_io() cut the wrappers off from the live disk I/O");
    }
}

void sc_global_race()
{
    for (int path = 0; path < memfix_disk_io_path_count(); ++path)
    {
        std::atomic<bool> stop{false};
        std::atomic<unsigned long> calls{0};
        std::thread caller([&] {
            std::vector<int> const pieces{0, 1};
            while (!stop.load())
            {
                lt::memory_disk_set_lookbehind(0, pieces);
                (void)lt::memory_disk_is_lookbehind_available(0, 0);
                int available = 0;
                int protected_count = 0;
                std::int64_t memory = 0;
                lt::memory_disk_get_lookbehind_stats(0, available, protected_count, memory);
                lt::memory_disk_clear_lookbehind(0);
                calls.fetch_add(1);
                std::this_thread::yield();   // do not starve the create/destroy thread
            }
        });

        for (int cycle = 0; cycle < 300; ++cycle)
        {
            {
                Env env(0, path);
                Torrent& t = env.add(static_cast<std::uint32_t>(cycle + 1));
                write_piece(env, t, 0);
                env.drain();
            }
            // let the caller use the wrappers while no disk I/O is alive
            unsigned long const c0 = calls.load();
            auto const deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
            while (calls.load() < c0 + 2 && std::chrono::steady_clock::now() < deadline)
                std::this_thread::yield();
        }
        stop.store(true);
        caller.join();
    }
}

// A torrent for a real session: its pieces are pattern(tag, piece, ...).
std::shared_ptr<lt::torrent_info> torrent_info_for(std::uint32_t tag, int pieces)
{
    lt::file_storage fs;
    fs.add_file("memfix/session" + std::to_string(tag) + ".bin", std::int64_t(pieces) * kPieceLen);
    lt::create_torrent ct(fs, kPieceLen, lt::create_torrent::v1_only);
    for (int p = 0; p < pieces; ++p) ct.set_hash(lt::piece_index_t(p), piece_sha1(tag, p));
    std::vector<char> buf;
    lt::bencode(std::back_inserter(buf), ct.generate());
    return std::make_shared<lt::torrent_info>(lt::span<char const>(buf), lt::from_span);
}

// once a session has written a piece through the disk I/O, how long the
// wrappers get to see it (they see it at once when they reach that disk I/O)
constexpr int kWrapperGraceSeconds = 1;

// a real session, networking off, through each path; two threads call the
// wrappers all along, while the session lives, while it is destroyed and after
void sc_session_wrappers()
{
    int const pieces = 4;
    for (int path = 0; path < memfix_disk_io_path_count(); ++path)
    {
        std::string const what = path_name(path);
        std::atomic<bool> stop{false};
        std::vector<std::thread> callers;
        for (int c = 0; c < 2; ++c)
            callers.emplace_back([&stop, c] {
                std::mt19937 rng(77u + static_cast<unsigned>(c));
                while (!stop.load())
                {
                    // slot 0 is the session's torrent: only read it (the main
                    // thread sets its lookbehind pieces); write slot 1, which
                    // has no torrent
                    int const piece = static_cast<int>(rng() % 4u);
                    lt::memory_disk_set_lookbehind(1, {piece});
                    lt::memory_disk_clear_lookbehind(1);
                    (void)lt::memory_disk_is_lookbehind_available(0, piece);
                    int a = 0;
                    int p = 0;
                    std::int64_t m = 0;
                    lt::memory_disk_get_lookbehind_stats(0, a, p, m);
                    // paced, not spinning: thousands of calls a second still
                    // overlap every step of the session's life, and a tree
                    // whose wrappers never reach the disk I/O (8 s of grace)
                    // does not keep both cores busy meanwhile
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
            });

        for (int cycle = 0; cycle < 2; ++cycle)
        {
            lt::session_params params = params_for(path, 0);
            lt::settings_pack& s = params.settings;
            s.set_str(lt::settings_pack::listen_interfaces, "");
            s.set_bool(lt::settings_pack::enable_dht, false);
            s.set_bool(lt::settings_pack::enable_lsd, false);
            s.set_bool(lt::settings_pack::enable_upnp, false);
            s.set_bool(lt::settings_pack::enable_natpmp, false);
            s.set_int(lt::settings_pack::alert_mask, 0);
            auto ses = std::make_unique<lt::session>(std::move(params));

            std::uint32_t const tag = 500u + static_cast<std::uint32_t>(path * 10 + cycle);
            lt::add_torrent_params atp;
            atp.ti = torrent_info_for(tag, pieces);
            atp.save_path = ".";
            lt::torrent_handle const h = ses->add_torrent(std::move(atp));
            // add_piece() is ignored while the torrent is still checking its files
            auto const ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            for (;;)
            {
                lt::torrent_status::state_t const st = h.status().state;
                if (st != lt::torrent_status::checking_files && st != lt::torrent_status::checking_resume_data) break;
                if (std::chrono::steady_clock::now() > ready_by)
                {
                    fail(what + "the session's torrent never finished checking its files");
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            // two of the four pieces: a complete torrent makes the session release
            // (for the in-memory storage: drop) its files
            for (int p = 0; p < 2; ++p)
            {
                std::vector<char> data = pattern(tag, p, 0, kPieceLen);
                h.add_piece(lt::piece_index_t(p), std::move(data));
            }
            // the session writes the pieces through the disk I/O: the wrappers
            // (slot 0: the session's only torrent) must see them. Once the
            // session has both pieces (written and hash-checked through the
            // disk I/O) they must do so at once: a short grace, not the 20 s a
            // session gets to write them
            bool reached = false;
            auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            auto grace_end = deadline;
            bool had = false;
            while (!reached && std::chrono::steady_clock::now() < std::min(deadline, grace_end))
            {
                lt::memory_disk_set_lookbehind(0, {0, 1});
                reached = lt::memory_disk_is_lookbehind_available(0, 1);
                if (!reached && !had && h.have_piece(lt::piece_index_t(0)) && h.have_piece(lt::piece_index_t(1)))
                {
                    had = true;
                    grace_end = std::chrono::steady_clock::now() + std::chrono::seconds(kWrapperGraceSeconds);
                }
                if (!reached) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!reached)
            {
                lt::torrent_status const st = h.status();
                int a = 0;
                int pc = 0;
                std::int64_t m = 0;
                lt::memory_disk_get_lookbehind_stats(0, a, pc, m);
                fail(what + "the lookbehind wrappers never reached the session's disk I/O (torrent state "
                    + std::to_string(static_cast<int>(st.state)) + ", " + std::to_string(st.num_pieces)
                    + " pieces, " + (st.errc ? st.errc.message() : std::string("no error"))
                    + "; wrappers: " + std::to_string(a) + " available, " + std::to_string(pc) + " protected)");
            }
            ses.reset();   // the session destroys its disk I/O
            expect_unreachable(0, what + "after the session: ");
            if (!reached) break;   // a second session on this path would tell nothing more
        }
        stop.store(true);
        for (auto& th : callers) th.join();
    }
}

} // namespace
} // namespace hand
} // namespace memfix

MEMFIX_SCENARIOS(
    {"global-after-destroy", "guarded-global", "asan",
        "through every path that builds the disk I/O, the wrappers reach it, and are harmless once it is destroyed", hand::sc_global_after_destroy},
    {"global-two-instances", "guarded-global", "asan",
        "destroying an older disk I/O leaves the newer one reachable through the wrappers (every path)",
        hand::sc_global_two_instances},
    {"global-clear-keeps-live", "guarded-global", "asan",
        "clear_global_memory_disk_io() does not cut the wrappers off from a live disk I/O (every path)",
        hand::sc_global_clear_keeps_live},
    {"global-race", "guarded-global", "asan,tsan",
        "wrappers called from another thread during 300 create/destroy cycles per path stay clean", hand::sc_global_race},
    {"session-wrappers", "guarded-global", "asan,tsan",
        "a real session (networking off) made through every path, written to and destroyed while two threads call the wrappers",
        hand::sc_session_wrappers},
)
