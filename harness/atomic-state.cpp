// memfix harness: the scenarios that prove atomic-state.
//
// The memory size and the abort flag are written while other threads read
// them: ThreadSanitizer builds only.

#include "harness.hpp"
#include "hand.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// atomic-state: the memory size written by the setter (set_memory_disk_io,
// as Go calls it) while another thread adds torrents, whose storages read it.
void sc_size_race()
{
    Env env(kPieceLen);
    std::atomic<bool> stop{false};
    std::thread setter([&stop] {
        for (int i = 0; !stop.load(); ++i)
        {
            lt::session_params params;
            memfix_install_disk_io_path(0, &params, std::int64_t(1 + i % 4) * kPieceLen);
            std::this_thread::yield();
        }
    });
    for (int i = 0; i < 300; ++i)
    {
        Torrent& t = env.add(static_cast<std::uint32_t>(300 + i), 2);
        write_piece(env, t, 0);
        env.drain();
        env.torrents.pop_back();   // remove_torrent: the slot is reused next time
    }
    stop.store(true);
    setter.join();
}

// atomic-state: abort() called from two threads at once (the session's
// shutdown and a stop from elsewhere) while a third thread's jobs run.
void sc_abort_race()
{
    Env env(0);
    Torrent& t = env.add(1);
    std::atomic<int> ready{0};
    auto aborter = [&env, &ready] {
        ready.fetch_add(1);
        while (ready.load() < 3) std::this_thread::yield();
        for (int i = 0; i < 200; ++i) env.dio->abort(false);
    };
    std::thread a(aborter);
    std::thread b(aborter);
    std::thread io([&env, &t, &ready] {
        ready.fetch_add(1);
        while (ready.load() < 3) std::this_thread::yield();
        for (int i = 0; i < 50; ++i) write_piece(env, t, i % kPieces, "write during abort");
    });
    a.join();
    b.join();
    io.join();
    env.drain();
}

} // namespace
} // namespace hand
} // namespace memfix

MEMFIX_SCENARIOS(
    {"size-race", "atomic-state", "tsan",
        "set_memory_disk_io writes the memory size while another thread adds torrents that read it",
        hand::sc_size_race},
    {"abort-race", "atomic-state", "tsan",
        "abort() from two threads at once while a third thread writes",
        hand::sc_abort_race},
)
