// memfix harness: helpers of the scenarios that run real sessions over
// loopback (namespace memfix::live): the Watchdog, temporary folders, torrents
// of ours, sessions (memory_peer, disk_peer). live-check.hpp, included at the
// end, has the Tracker that checks them. Internal linkage (an unnamed
// namespace): each harness file compiles the ones it uses.
//
// Networking: every session listens on 127.0.0.1:0 and connects only to the
// ports of the other sessions of the same process; DHT, LSD, UPnP, NAT-PMP and
// uTP are off, and no tracker is ever named.
#ifndef MEMFIX_HARNESS_LIVE_HPP
#define MEMFIX_HARNESS_LIVE_HPP

#include "harness.hpp"

namespace memfix {
namespace live {

using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;
clock_type::time_point const g_start = clock_type::now();

// How long a Watchdog lets a scenario go without progress (see progress()). A
// correct run handles alerts every few milliseconds while it transfers; the
// watchdog's limit is the total one, the no-progress one catches a hang in seconds.
constexpr int kNoProgressSeconds = 10;

// A scenario that makes no progress for kNoProgressSeconds, or is not done
// within its limit, is stuck (a lock never released, a session that never
// finishes its abort): report and end the process now (quiet time: QuietTime).
struct Watchdog
{
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread th;

    explicit Watchdog(std::chrono::seconds limit)
    {
        th = std::thread([this, limit] {
            auto const deadline = clock_type::now() + limit;
            QuietTime quiet;
            std::unique_lock<std::mutex> l(m);
            for (;;)
            {
                if (cv.wait_for(l, 50ms, [this] { return done; })) return;
                auto const now = clock_type::now();
                bool const stuck = quiet.look() >= std::chrono::seconds(kNoProgressSeconds);
                if (!stuck && now < deadline) continue;
                std::string what;
                {
                    std::lock_guard<std::mutex> g(g_fail_mutex);
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

} // namespace
} // namespace live
} // namespace memfix

#include "live-check.hpp"

#endif
