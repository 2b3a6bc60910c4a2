// memfix harness: helpers of the scenarios that drive the disk interface by
// hand (namespace memfix::hand): the byte pattern, a torrent's storage, Env (one
// disk I/O made the way a session makes it), reads whose completion checks every
// byte, the Watchdog. Internal linkage (an unnamed namespace): each harness
// file compiles the ones it uses.
#ifndef MEMFIX_HARNESS_HAND_HPP
#define MEMFIX_HARNESS_HAND_HPP

#include "harness.hpp"

namespace memfix {
namespace hand {
namespace {

constexpr int kBlock = 0x4000;           // libtorrent's block size
constexpr int kPieceLen = 2 * kBlock;    // two blocks per piece
constexpr int kPieces = 8;               // pieces per test torrent

// A thread is stuck (a lock never released, say): report and end the process
// now, without joining it.
[[noreturn]] void abandon(std::string const& msg)
{
    std::printf("FAIL %s: %s\n", g_scenario, msg.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(1);
}

// Run f on another thread; true when it finished within the time given.
// When it did not, the thread is left behind (the caller abandons).
bool finishes_within(std::chrono::seconds limit, std::function<void()> f)
{
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread th([done, f] { f(); done->store(true); });
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!done->load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!done->load())
    {
        th.detach();
        return false;
    }
    th.join();
    return true;
}

// heap bytes in use, or -1 without a sanitizer's allocator
long long live_heap_bytes()
{
    if (&__sanitizer_get_current_allocated_bytes == nullptr) return -1;
    return static_cast<long long>(__sanitizer_get_current_allocated_bytes());
}

// ---------------------------------------------------------------------------
// Byte pattern: every byte encodes (torrent tag, piece, offset), so bytes of
// another torrent, another piece or another offset are recognised.
// ---------------------------------------------------------------------------
char pattern_byte(std::uint32_t tag, int piece, int offset)
{
    std::uint32_t x = tag * 0x9E3779B1u
        ^ (static_cast<std::uint32_t>(piece) + 0x7F4A7C15u) * 0x85EBCA77u
        ^ (static_cast<std::uint32_t>(offset) + 0x165667B1u) * 0xC2B2AE3Du;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    x *= 0x297A2D39u;
    x ^= x >> 15;
    return static_cast<char>(x & 0xff);
}

std::vector<char> pattern(std::uint32_t tag, int piece, int start, int len)
{
    std::vector<char> v(static_cast<std::size_t>(len));
    for (int i = 0; i < len; ++i) v[static_cast<std::size_t>(i)] = pattern_byte(tag, piece, start + i);
    return v;
}

lt::sha1_hash piece_sha1(std::uint32_t tag, int piece)
{
    std::vector<char> const v = pattern(tag, piece, 0, kPieceLen);
    lt::hasher h;
    h.update(v.data(), static_cast<int>(v.size()));
    return h.final();
}

lt::sha256_hash block_sha256(std::uint32_t tag, int piece, int offset)
{
    std::vector<char> const v = pattern(tag, piece, offset, kBlock);
    lt::hasher256 h;
    h.update(v.data(), static_cast<int>(v.size()));
    return h.final();
}

lt::peer_request request(int piece, int start, int len)
{
    lt::peer_request r{};
    r.piece = lt::piece_index_t(piece);
    r.start = start;
    r.length = len;
    return r;
}

// ---------------------------------------------------------------------------
// A torrent's storage in the disk I/O. The file_storage must outlive the
// storage (the disk I/O may keep a reference to it), so it is declared
// before the holder: the holder (remove_torrent) is destroyed first.
// ---------------------------------------------------------------------------
struct Torrent
{
    std::uint32_t tag = 0;
    lt::file_storage fs;
    lt::storage_holder holder;
    lt::storage_index_t index{0};
    int slot() const { return static_cast<int>(index); }
};

std::unique_ptr<Torrent> make_torrent(lt::disk_interface& dio, std::uint32_t tag,
    int pieces = kPieces)
{
    auto t = std::make_unique<Torrent>();
    t->tag = tag;
    t->fs.set_piece_length(kPieceLen);
    t->fs.add_file("memfix/t" + std::to_string(tag) + ".bin",
        std::int64_t(pieces) * kPieceLen);
    t->fs.set_num_pieces(pieces);
    std::string const save_path = ".";
    lt::aux::vector<lt::download_priority_t, lt::file_index_t> const prio;
    lt::storage_params const p(t->fs, nullptr, save_path, lt::storage_mode_sparse,
        prio, lt::sha1_hash());
    t->holder = dio.new_torrent(p, std::shared_ptr<void>());
    if (!t->holder) throw std::runtime_error("new_torrent returned an empty storage_holder");
    t->index = static_cast<lt::storage_index_t>(t->holder);
    return t;
}

// ---------------------------------------------------------------------------
// One disk I/O made exactly as the session would make it: a path of the glue
// (by default the set_memory_disk_io SWIG keeps) fills session_params, then
// params.disk_io_constructor makes the disk I/O.
// ---------------------------------------------------------------------------
std::string path_name(int path)
{
    return std::string("[") + memfix_disk_io_path_name(path) + "] ";
}

lt::session_params params_for(int path, std::int64_t memory_size)
{
    lt::session_params params;
    params.disk_io_constructor = nullptr;
    memfix_install_disk_io_path(path, &params, memory_size);
    if (!params.disk_io_constructor)
        throw std::runtime_error(path_name(path) + "left disk_io_constructor empty");
    return params;
}

struct Env
{
    std::unique_ptr<lt::io_context> ioc;
    lt::settings_pack settings;
    lt::counters counters;
    std::unique_ptr<lt::disk_interface> dio;
    std::vector<std::unique_ptr<Torrent>> torrents;

    explicit Env(std::int64_t memory_size, int path = 0)
        : ioc(new lt::io_context)
    {
        lt::session_params params = params_for(path, memory_size);
        dio = params.disk_io_constructor(*ioc, settings, counters);
        if (!dio) throw std::runtime_error(path_name(path) + "disk_io_constructor returned null");
    }

    Env(Env const&) = delete;
    Env& operator=(Env const&) = delete;

    ~Env() { shutdown(); }

    Torrent& add(std::uint32_t tag, int pieces = kPieces)
    {
        torrents.push_back(make_torrent(*dio, tag, pieces));
        return *torrents.back();
    }

    // run every queued completion on this thread
    void drain()
    {
        if (!ioc) return;
        ioc->restart();
        ioc->run();
    }

    // the order libtorrent uses: storages go first, the disk I/O is aborted
    // and destroyed, the io_context last. If the io_context was already
    // destroyed (dropped completions), the disk I/O is destroyed without
    // touching it.
    void shutdown()
    {
        drain();
        torrents.clear();
        if (dio && ioc)
        {
            dio->abort(true);
            drain();
        }
        dio.reset();
        ioc.reset();
    }
};

// the blocks of a piece, written and not hashed yet: a piece libtorrent is
// still downloading
void write_blocks(Env& env, Torrent const& t, int piece, std::string const& what = "write")
{
    for (int off = 0; off < kPieceLen; off += kBlock)
    {
        std::vector<char> const buf = pattern(t.tag, piece, off, kBlock);
        env.dio->async_write(t.index, request(piece, off, kBlock), buf.data(),
            std::shared_ptr<lt::disk_observer>(),
            [what, piece](lt::storage_error const& ec) {
                if (ec) fail(what + ": write of piece " + std::to_string(piece)
                    + " reported an error: " + ec.ec.message());
            });
    }
}

// the hash check libtorrent runs on a piece once all its blocks are written
void hash_written(Env& env, lt::storage_index_t idx, int piece)
{
    env.dio->async_hash(idx, lt::piece_index_t(piece), lt::span<lt::sha256_hash>(),
        lt::disk_interface::v1_hash,
        [](lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const&) {});
}

// a whole piece as libtorrent downloads it: its blocks, then its hash check
void write_piece(Env& env, Torrent const& t, int piece, std::string const& what = "write")
{
    write_blocks(env, t, piece, what);
    hash_written(env, t.index, piece);
}

bool is_aborted(lt::storage_error const& ec)
{
    return ec.ec == boost::asio::error::operation_aborted;
}

// A read whose completion checks every delivered byte. With aborted_ok, an
// operation_aborted error that delivers no data is accepted too (what the
// storage-generation fix reports for a read whose torrent was removed).
void checked_read(Env& env, lt::storage_index_t idx, std::uint32_t tag, int piece,
    int start, int len, std::string const& what, int* done, bool aborted_ok = false)
{
    env.dio->async_read(idx, request(piece, start, len),
        [tag, piece, start, len, what, done, aborted_ok](lt::disk_buffer_holder buf,
            lt::storage_error const& ec) {
            ++*done;
            if (ec && aborted_ok && is_aborted(ec))
            {
                if (buf.data() != nullptr || buf.size() != 0)
                    fail(what + ": read reported operation_aborted but delivered "
                        + std::to_string(buf.size()) + " bytes");
                return;
            }
            if (ec)
            {
                fail(what + ": read reported an error: " + ec.ec.message());
                return;
            }
            if (buf.data() == nullptr || buf.size() != len)
            {
                fail(what + ": read delivered " + std::to_string(buf.size())
                    + " bytes, expected " + std::to_string(len));
                return;
            }
            std::vector<char> const exp = pattern(tag, piece, start, len);
            if (std::memcmp(buf.data(), exp.data(), static_cast<std::size_t>(len)) != 0)
                fail(what + ": delivered bytes differ from the bytes written to piece "
                    + std::to_string(piece));
        });
}

// Queue, for each piece, an aligned block read and an unaligned read that
// straddles the two blocks. Returns how many reads were queued.
int queue_reads(Env& env, Torrent const& t, std::vector<int> const& pieces,
    std::string const& what, int* done, bool aborted_ok = false)
{
    int n = 0;
    for (int p : pieces)
    {
        checked_read(env, t.index, t.tag, p, 0, kBlock, what, done, aborted_ok);
        checked_read(env, t.index, t.tag, p, kBlock - 1000, 3000, what, done, aborted_ok);
        n += 2;
    }
    return n;
}

// Issue a read now and run it; returns the error it reported (for sanity
// checks that a destructive operation really took effect).
lt::storage_error probe_read(Env& env, lt::storage_index_t idx, int piece)
{
    lt::storage_error result;
    bool ran = false;
    env.dio->async_read(idx, request(piece, 0, kBlock),
        [&result, &ran](lt::disk_buffer_holder, lt::storage_error const& ec) {
            result = ec;
            ran = true;
        });
    env.drain();
    if (!ran) fail("probe read never completed");
    return result;
}

void expect_done(int done, int expected, std::string const& what)
{
    if (done != expected)
        fail(what + ": " + std::to_string(done) + " of " + std::to_string(expected)
            + " read completions ran");
}

// How long a Watchdog lets a scenario go without progress (see progress()). A
// correct tree makes progress every few milliseconds, a loaded machine every
// few hundred; the livelock below makes none at all.
constexpr int kNoProgressSeconds = 3;

// Ends the process with "FAIL <name>: hung: ..." when the scenario makes no
// progress (see progress()) for kNoProgressSeconds. The livelock this section
// looks for spins forever with the disk I/O's mutex held, so the scenario
// itself can never report it; the watchdog gives memfix verify a verdict within
// seconds, however long a correct run takes on a loaded machine (quiet time:
// QuietTime).
class Watchdog
{
public:
    explicit Watchdog(char const* name, int quiet_seconds = kNoProgressSeconds)
        : m_name(name), m_seconds(quiet_seconds), m_thread([this] { watch(); })
    {}

    Watchdog(Watchdog const&) = delete;
    Watchdog& operator=(Watchdog const&) = delete;

    ~Watchdog()
    {
        m_done.store(true);
        m_thread.join();
    }

    // what the scenario is doing now: the FAIL line names it (a step is progress)
    void step(std::string what)
    {
        std::lock_guard<std::mutex> l(m_step_mutex);
        m_step = std::move(what);
        progress();
    }

private:
    void watch()
    {
        QuietTime quiet;
        while (!m_done.load())
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (quiet.look() >= std::chrono::seconds(m_seconds) && !m_done.load())
            {
                std::string doing;
                {
                    std::lock_guard<std::mutex> l(m_step_mutex);
                    doing = m_step;
                }
                std::printf("FAIL %s: hung: no progress for %d s, while %s\n",
                    m_name, m_seconds, doing.c_str());
                std::fflush(stdout);
                std::fflush(stderr);
                std::_Exit(1);
            }
        }
    }

    char const* m_name;
    int m_seconds;
    std::atomic<bool> m_done{false};
    std::mutex m_step_mutex;
    std::string m_step = "starting";
    std::thread m_thread;
};

// the pieces of a storage that read back, whole and exact, as written under
// `tag`; a piece that reads back with other bytes is a failure
std::vector<int> held_pieces(Env& env, lt::storage_index_t idx, std::uint32_t tag)
{
    std::vector<int> held;
    for (int p = 0; p < kPieces; ++p)
    {
        bool ok = false;
        env.dio->async_read(idx, request(p, 0, kPieceLen),
            [&ok, tag, p](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                progress();
                if (ec) return;
                std::vector<char> const exp = pattern(tag, p, 0, kPieceLen);
                if (buf.data() == nullptr || buf.size() != kPieceLen
                    || std::memcmp(buf.data(), exp.data(), exp.size()) != 0)
                    fail("piece " + std::to_string(p) + " read back other bytes than were written");
                else
                    ok = true;
            });
        env.drain();
        if (ok) held.push_back(p);
    }
    return held;
}

std::string pieces_text(std::vector<int> const& v)
{
    std::string s;
    for (int p : v) s += (s.empty() ? "" : ",") + std::to_string(p);
    return "{" + s + "}";
}

} // namespace
} // namespace hand
} // namespace memfix

#endif
