// memfix real-session harness.
//
// Where scenarios.cpp drives the memory disk I/O by hand through the
// disk_interface, this translation unit runs it the way Elementum does: inside
// real lt::session objects that download, seed and churn torrents over
// loopback. The memory disk I/O is made only through the glue (the
// set_memory_disk_io that SWIG keeps, path 0), never by including
// memory_disk_io.hpp, so the same harness runs against any shape of the tree.
//
// Networking: every session listens on 127.0.0.1:0 and connects only to the
// ports of the other sessions of the same process; DHT, LSD, UPnP, NAT-PMP and
// uTP are off, and no tracker is ever named.
//
// Usage (the contract of scenarios.cpp):
//   session --list        name<TAB>fix-id<TAB>sanitizers<TAB>description
//   session <name>        "PASS <name>" (exit 0) or "FAIL <name>: <reason>"
//                         (exit 1); a sanitizer report ends the process
//                         with its own exit code and no verdict line.
//
// Adding a scenario: write a `void sc_NAME()` that builds its sessions with
// memory_peer()/disk_peer(), tracks the memory-disk torrents with a Tracker,
// calls fail() for anything wrong, and list it in g_scenarios below.

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/download_priority.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define MEMFIX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MEMFIX_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define MEMFIX_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define MEMFIX_HAVE_LSAN 1
#endif
#endif

// ---------------------------------------------------------------------------
// The glue translation unit's entry points (defined there, not here).
// ---------------------------------------------------------------------------
namespace libtorrent {
void memory_disk_set_lookbehind(int storage_index, std::vector<int> const& pieces);
void memory_disk_clear_lookbehind(int storage_index);
bool memory_disk_is_lookbehind_available(int storage_index, int piece);
void memory_disk_get_lookbehind_stats(int storage_index, int& available,
    int& protected_count, std::int64_t& memory);
}
// path 0: the set_memory_disk_io that SWIG keeps
void memfix_install_disk_io_path(int i, libtorrent::session_params* params,
    std::int64_t memory_size);

namespace lt = libtorrent;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Failures, phase, watchdog
// ---------------------------------------------------------------------------
std::mutex g_mutex;                  // guards the three below
std::vector<std::string> g_failures;
std::string g_phase = "starting";
char const* g_scenario = "";
clock_type::time_point const g_start = clock_type::now();

void fail(std::string msg)
{
    std::lock_guard<std::mutex> l(g_mutex);
    g_failures.push_back(std::move(msg));
}

bool failed()
{
    std::lock_guard<std::mutex> l(g_mutex);
    return !g_failures.empty();
}

// Progress: an alert handled, a phase begun (see Watchdog)
std::atomic<unsigned long> g_progress{0};
void progress() { g_progress.fetch_add(1, std::memory_order_relaxed); }

// How long a Watchdog lets a scenario go without progress. A correct run
// handles alerts every few milliseconds while it transfers; the watchdog's
// limit is the total one, the no-progress one catches a hang in seconds.
constexpr int kNoProgressSeconds = 10;

// what the scenario is doing, for a hang's report
void phase(std::string what)
{
    std::lock_guard<std::mutex> l(g_mutex);
    g_phase = std::move(what);
    progress();
}

// a failure seen in an alert: say what the scenario was doing
void fail_while(std::string msg)
{
    std::lock_guard<std::mutex> l(g_mutex);
    g_failures.push_back(msg + " (while " + g_phase + ")");
}

void note(std::string const& msg) { std::fprintf(stderr, "NOTE %s\n", msg.c_str()); }

// A scenario that makes no progress for kNoProgressSeconds, or is not done
// within its limit, is stuck (a lock never released, a session that never
// finishes its abort): report and end the process now. Quiet time counts only
// while the watchdog itself runs (at most 100 ms per wake-up): a process the
// machine does not schedule for a while is not taken for a hung one.
struct Watchdog
{
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread th;

    explicit Watchdog(std::chrono::seconds limit)
    {
        th = std::thread([this, limit] {
            auto const quiet_limit = std::chrono::duration_cast<clock_type::duration>(std::chrono::seconds(kNoProgressSeconds));
            auto const max_tick = std::chrono::duration_cast<clock_type::duration>(100ms);
            auto const deadline = clock_type::now() + limit;
            unsigned long seen = g_progress.load();
            clock_type::duration quiet{0};
            auto last = clock_type::now();
            std::unique_lock<std::mutex> l(m);
            for (;;)
            {
                if (cv.wait_for(l, 50ms, [this] { return done; })) return;
                auto const now = clock_type::now();
                quiet += std::min(now - last, max_tick);
                last = now;
                unsigned long const p = g_progress.load();
                if (p != seen)
                {
                    seen = p;
                    quiet = clock_type::duration{0};
                }
                bool const stuck = quiet >= quiet_limit;
                if (!stuck && now < deadline) continue;
                std::string what;
                {
                    std::lock_guard<std::mutex> g(g_mutex);
                    what = g_phase;
                }
                if (stuck)
                    std::printf("FAIL %s: hung: no progress for %d s, while %s\n", g_scenario,
                        kNoProgressSeconds, what.c_str());
                else
                    std::printf("FAIL %s: hung: not done after %d s, while %s\n", g_scenario,
                        int(limit.count()), what.c_str());
                std::fflush(stdout);
                std::fflush(stderr);
                std::_Exit(1);
            }
        });
    }
    ~Watchdog()
    {
        {
            std::lock_guard<std::mutex> l(m);
            done = true;
        }
        cv.notify_all();
        th.join();
    }
};

// ---------------------------------------------------------------------------
// Temporary folders for the sessions that use libtorrent's own disk I/O
// ---------------------------------------------------------------------------
struct TempDir
{
    std::string path;
    TempDir()
    {
        char const* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/memfix-session-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = buf.data();
    }
    ~TempDir()
    {
        ::nftw(path.c_str(), [](char const* p, struct stat const*, int, FTW*) { return ::remove(p); },
            16, FTW_DEPTH | FTW_PHYS);
    }
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
};

// ---------------------------------------------------------------------------
// Torrents of ours: files with bytes that encode (file, offset)
// ---------------------------------------------------------------------------
constexpr int kBlock = 0x4000;

char content_byte(std::uint32_t seed, std::int64_t offset)
{
    std::uint64_t x = (std::uint64_t(seed) << 40) ^ std::uint64_t(offset) ^ 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return static_cast<char>(x & 0xff);
}

std::uint32_t seed_of(std::string const& s)
{
    std::uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
}

struct TorrentData
{
    std::string name;
    std::shared_ptr<lt::torrent_info const> ti;
    std::map<std::string, std::vector<char>> files;   // by path in the torrent

    int num_pieces() const { return ti->num_pieces(); }

    // what a piece holds: the files' bytes, zeros for pad files
    std::vector<char> piece(int p) const
    {
        lt::file_storage const& fs = ti->files();
        int const size = fs.piece_size(lt::piece_index_t(p));
        std::vector<char> out(static_cast<std::size_t>(size), 0);
        std::size_t pos = 0;
        for (lt::file_slice const& s : fs.map_block(lt::piece_index_t(p), 0, size))
        {
            if (!fs.pad_file_at(s.file_index))
            {
                auto const it = files.find(fs.file_path(s.file_index));
                if (it == files.end()) throw std::runtime_error("no content for " + fs.file_path(s.file_index));
                std::memcpy(out.data() + pos, it->second.data() + s.offset, static_cast<std::size_t>(s.size));
            }
            pos += static_cast<std::size_t>(s.size);
        }
        return out;
    }
};

// Write the files under dir/name/ and make the torrent (v1, v2 or hybrid by flags).
std::shared_ptr<TorrentData> make_torrent(std::string const& dir, std::string const& name,
    std::vector<std::int64_t> const& sizes, int piece_len, lt::create_flags_t flags)
{
    auto t = std::make_shared<TorrentData>();
    t->name = name;
    ::mkdir((dir + "/" + name).c_str(), 0700);
    lt::file_storage fs;
    for (std::size_t i = 0; i < sizes.size(); ++i)
    {
        std::string const path = name + "/f" + std::to_string(i) + ".bin";
        std::vector<char> bytes(static_cast<std::size_t>(sizes[i]));
        std::uint32_t const seed = seed_of(path);
        for (std::size_t k = 0; k < bytes.size(); ++k) bytes[k] = content_byte(seed, std::int64_t(k));
        std::FILE* f = std::fopen((dir + "/" + path).c_str(), "wb");
        if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
            throw std::runtime_error("cannot write " + dir + "/" + path);
        std::fclose(f);
        fs.add_file(path, sizes[i]);
        t->files[path] = std::move(bytes);
    }
    lt::create_torrent ct(fs, piece_len, flags);
    lt::set_piece_hashes(ct, dir);
    std::vector<char> buf;
    lt::bencode(std::back_inserter(buf), ct.generate());
    t->ti = std::make_shared<lt::torrent_info>(lt::span<char const>(buf), lt::from_span);
    return t;
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------
struct Peer
{
    std::string name;
    bool memory = false;
    std::unique_ptr<TempDir> dir;    // libtorrent's own disk I/O only
    std::unique_ptr<lt::session> ses;
    int port = 0;

    Peer() = default;
    Peer(Peer const&) = delete;
    Peer& operator=(Peer const&) = delete;
    ~Peer()
    {
#if defined(MEMFIX_TSAN)
        // libtorrent's own disk I/O (not the code under test) reaps idle disk
        // threads without joining them; destroying it then makes
        // ThreadSanitizer report its mutex, in uninstrumented libtorrent code.
        // In the TSan build such a session lives until the process ends.
        if (!memory && ses)
        {
            ses.release();
            dir.release();
        }
#endif
    }

    lt::tcp::endpoint endpoint() const
    {
        return lt::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
            static_cast<unsigned short>(port));
    }
};

void loopback_settings(lt::settings_pack& s)
{
    s.set_str(lt::settings_pack::listen_interfaces, "127.0.0.1:0");
    s.set_str(lt::settings_pack::dht_bootstrap_nodes, "");
    s.set_bool(lt::settings_pack::enable_dht, false);
    s.set_bool(lt::settings_pack::enable_lsd, false);
    s.set_bool(lt::settings_pack::enable_upnp, false);
    s.set_bool(lt::settings_pack::enable_natpmp, false);
    s.set_bool(lt::settings_pack::enable_outgoing_utp, false);
    s.set_bool(lt::settings_pack::enable_incoming_utp, false);
    s.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
    // a finished leecher keeps its connection (it may want pieces again)
    s.set_bool(lt::settings_pack::close_redundant_connections, false);
    // reconnect at once after pause, recheck or removal
    s.set_int(lt::settings_pack::min_reconnect_time, 0);
    // bandwidth quota every 100 ms, not every 500: a rate-limited transfer (and
    // the handshake before it) no longer waits half a second for each quota
    s.set_int(lt::settings_pack::tick_interval, 100);
    s.set_int(lt::settings_pack::aio_threads, 2);
    s.set_int(lt::settings_pack::hashing_threads, 1);
    s.set_int(lt::settings_pack::alert_queue_size, 100000);
    s.set_int(lt::settings_pack::alert_mask, int(lt::alert_category::error | lt::alert_category::status
        | lt::alert_category::storage | lt::alert_category::piece_progress));
}

void start(Peer& p, lt::session_params params)
{
    loopback_settings(params.settings);
    p.ses.reset(new lt::session(std::move(params)));
    auto const until = clock_type::now() + 10s;
    while ((p.port = p.ses->listen_port()) == 0)
    {
        if (clock_type::now() > until) throw std::runtime_error(p.name + ": not listening on 127.0.0.1 after 10 s");
        std::this_thread::sleep_for(2ms);
    }
}

// a session whose disk I/O is the memory disk I/O, made as the SWIG build makes it
std::unique_ptr<Peer> memory_peer(std::string name, std::int64_t memory_size)
{
    std::unique_ptr<Peer> p(new Peer);
    p->name = std::move(name);
    p->memory = true;
    lt::session_params params;
    params.disk_io_constructor = nullptr;
    memfix_install_disk_io_path(0, &params, memory_size);
    if (!params.disk_io_constructor) throw std::runtime_error("set_memory_disk_io left disk_io_constructor empty");
    start(*p, std::move(params));
    return p;
}

// a session with libtorrent's default disk I/O over a temporary folder
std::unique_ptr<Peer> disk_peer(std::string name)
{
    std::unique_ptr<Peer> p(new Peer);
    p->name = std::move(name);
    p->dir.reset(new TempDir);
    start(*p, lt::session_params());
    return p;
}

lt::torrent_handle add(Peer& p, std::shared_ptr<TorrentData> const& t, std::string const& save_path,
    lt::torrent_flags_t extra = {}, std::vector<lt::download_priority_t> prio = {})
{
    lt::add_torrent_params atp;
    atp.ti = std::make_shared<lt::torrent_info>(*t->ti);
    atp.save_path = save_path;
    atp.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
    atp.flags |= extra;
    if (!prio.empty()) atp.piece_priorities = std::move(prio);
    return p.ses->add_torrent(std::move(atp));
}

// a seeder of t: libtorrent's own disk I/O over the folder the files were written to
lt::torrent_handle seed(Peer& s, std::shared_ptr<TorrentData> const& t)
{
    return add(s, t, s.dir->path, lt::torrent_flags::seed_mode);
}

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

// ===========================================================================
// Scenarios
// ===========================================================================

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

void sc_download_v1() { download(lt::create_torrent::v1_only, "v1"); }
void sc_download_v2() { download(lt::create_torrent::v2_only, "v2"); }
void sc_download_hybrid() { download({}, "hybrid"); }

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
    auto seeder = disk_peer("seeder");
    // the memory size: two pieces (a limit of about four)
    auto leecher = memory_peer("leecher", 2 * piece_len);
    auto t = make_torrent(seeder->dir->path, "memfix-stream", {std::int64_t(pieces) * piece_len}, piece_len,
        lt::create_torrent::v1_only);
    Tracker tr;
    tr.peers = {seeder.get(), leecher.get()};
    seed(*seeder, t);
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

// The memory limit without a player's priorities: a file 4 times the limit
// downloads in order (sequential download, the torrent's own rate limit, so
// that each piece is read before later ones push it out), every piece is read
// as it finishes, and halfway the player seeks back to piece 0, evicted long
// ago. That read must not pause the torrent or post a file error: it comes
// back operation_aborted, the player calls force_recheck, and piece 0 comes
// back exact when the session downloads it again; the download then finishes.
// Needs no release fix: nothing here finishes before the seek back.
void sc_seek_back()
{
    Watchdog dog(90s);
    int const piece_len = kBlock;
    int const pieces = 40;
    auto seeder = disk_peer("seeder");
    // the memory size: eight pieces (a limit of about ten)
    auto leecher = memory_peer("leecher", 8 * piece_len);
    auto t = make_torrent(seeder->dir->path, "memfix-seek-back", {std::int64_t(pieces) * piece_len}, piece_len,
        lt::create_torrent::v1_only);
    Tracker tr;
    tr.peers = {seeder.get(), leecher.get()};
    seed(*seeder, t);
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
    if (!tr.until([&] { return back && l.finished > 0 && l.outstanding == 0; }, 60s,
            "downloading again after force_recheck until piece 0 is back and the torrent finished"))
        return;
    tr.pump(50ms);
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

// the memory-disk session destroyed mid-transfer, reads outstanding, while
// another thread calls the wrappers
void sc_teardown()
{
    Watchdog dog(60s);
    auto seeder = disk_peer("seeder");
    auto t = make_torrent(seeder->dir->path, "memfix-teardown", {32 * std::int64_t(kPieceLen)}, kPieceLen,
        lt::create_torrent::v1_only);
    lt::torrent_handle const s = seed(*seeder, t);
    s.set_upload_limit(1024 * 1024);
    WrapperCaller wrappers(2, 32);
    // destroyed once 0 (just connected), 1 and 4 pieces are in; the last one
    // right after its torrent was removed
    int const cuts[] = {0, 1, 4, 2};
    for (int i = 0; i < 4; ++i)
    {
        auto leecher = memory_peer("leecher" + std::to_string(i), i == 2 ? 3 * kPieceLen : 0);
        Tracker tr;
        tr.peers = {seeder.get(), leecher.get()};
        Tracked& l = tr.track(*leecher, add(*leecher, t, "."), t, "teardown");
        // reads only at the teardown (with a memory limit, a piece read as it
        // finishes may be evicted already: that is session-stream's business)
        l.read_on_piece = false;
        l.read_after_finish = false;
        connect(l.h, *seeder);
        if (!tr.until([&] { return int(l.piece_finished.size()) >= cuts[i]; }, 20s,
            "waiting for " + std::to_string(cuts[i]) + " pieces before the teardown"))
            return;
        for (int p = 0; p < t->num_pieces(); ++p) tr.read(l, p);
        if (i == 3) leecher->ses->remove_torrent(l.h);
        phase("destroying the session mid-transfer (cycle " + std::to_string(i) + ")");
        tr.quiet_reads = true;
        leecher->ses.reset();
    }
    if (wrappers.calls.load() == 0) fail("the wrapper thread never ran");
}

// ===========================================================================

struct Scenario
{
    char const* name;
    char const* fix;
    char const* sanitizers;
    char const* description;
    void (*run)();
};

Scenario const g_scenarios[] = {
    {"session-v1", "release-accounting", "asan",
        "a v1 torrent (files aligned and not to 16 KiB) downloads from a default-disk session into the memory disk; every piece reads back as it finishes and after torrent_finished",
        sc_download_v1},
    {"session-v2", "v2-block-hash", "asan",
        "the same with a v2-only torrent (files not 16 KiB-aligned: the v2 block hashes of a file's last piece)",
        sc_download_v2},
    {"session-hybrid", "v2-block-hash", "asan",
        "the same with a hybrid torrent (v1 and v2 hashes must describe the same data)",
        sc_download_hybrid},
    {"session-reseed", "release-accounting", "asan",
        "the finished memory-disk session is the only seed of a third session, which gets every piece",
        sc_reseed},
    {"session-stream", "eviction", "asan",
        "memory size of 2 pieces, a 48-piece file streams in order through a readahead window of 2, each piece read as it completes; pieces sought back after eviction come back",
        sc_stream},
    {"session-seek-back", "eviction", "asan",
        "memory size of 8 pieces, a 40-piece file downloads in order and every piece is read as it finishes; a seek back to evicted piece 0 neither pauses nor posts a file error, and the piece comes back after force_recheck",
        sc_seek_back},
    {"session-churn", "release-accounting", "asan,tsan",
        "pause, resume, flush_cache, force_recheck, save_resume_data(flush_disk_cache), remove and re-add (slot reuse), wrappers called from another thread; every piece reads back",
        sc_churn},
    {"session-teardown", "all", "asan,tsan",
        "the memory-disk session destroyed mid-transfer with reads outstanding (4 cycles), wrappers called from another thread",
        sc_teardown},
};

int finish(char const* name)
{
#if defined(MEMFIX_HAVE_LSAN)
    if (__lsan_do_recoverable_leak_check() != 0) fail("LeakSanitizer reported leaks");
#endif
    std::lock_guard<std::mutex> l(g_mutex);
    if (g_failures.empty())
    {
        std::printf("PASS %s\n", name);
        std::fflush(stdout);
        std::fflush(stderr);
        // the leak check is done; a session kept alive (TSan build) ends with the process
        std::_Exit(0);
    }
    std::string reason = g_failures.front();
    if (g_failures.size() > 1) reason += " (and " + std::to_string(g_failures.size() - 1) + " more)";
    for (std::size_t i = 1; i < g_failures.size() && i < 10; ++i)
        std::fprintf(stderr, "FAIL %s: %s\n", name, g_failures[i].c_str());
    std::printf("FAIL %s: %s\n", name, reason.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0)
    {
        for (auto const& s : g_scenarios)
            std::printf("%s\t%s\t%s\t%s\n", s.name, s.fix, s.sanitizers, s.description);
        return 0;
    }
    if (argc != 2)
    {
        std::fprintf(stderr, "usage: %s --list | %s <scenario>\n", argv[0], argv[0]);
        return 2;
    }
    for (auto const& s : g_scenarios)
    {
        if (std::strcmp(argv[1], s.name) != 0) continue;
        g_scenario = s.name;
        try
        {
            s.run();
        }
        catch (std::exception const& e)
        {
            fail(std::string("exception: ") + e.what());
        }
        catch (...)
        {
            fail("unknown exception");
        }
        return finish(s.name);
    }
    std::fprintf(stderr, "unknown scenario '%s' (see --list)\n", argv[1]);
    return 2;
}
