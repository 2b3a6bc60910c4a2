// memfix sanitizer scenario harness: the CLI (see harness.hpp), the failure
// log, the scenario registry, and the replaced global operator new.
#include "harness.hpp"

// ---------------------------------------------------------------------------
// Allocation failures on demand. Global operator new is replaced (for the
// whole program, glue and libtorrent included) by one that can be told to
// fail: with t_fail_countdown = k on a thread, the (k+1)-th allocation made
// on that thread throws std::bad_alloc. Memory still comes from malloc, so
// the sanitizers see every allocation.
// ---------------------------------------------------------------------------
namespace memfix {
thread_local long t_fail_countdown = -1;
}

void* operator new(std::size_t n)
{
    if (memfix::t_fail_countdown >= 0 && memfix::t_fail_countdown-- == 0) throw std::bad_alloc();
    if (void* p = std::malloc(n != 0 ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::nothrow_t const&) noexcept
{
    try { return ::operator new(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept
{
    try { return ::operator new(n); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::nothrow_t const&) noexcept { std::free(p); }
void operator delete[](void* p, std::nothrow_t const&) noexcept { std::free(p); }

namespace memfix {

std::mutex g_fail_mutex;
std::vector<std::string> g_failures;
std::string g_phase = "starting";
char const* g_scenario = "";

void fail(std::string msg)
{
    std::lock_guard<std::mutex> l(g_fail_mutex);
    g_failures.push_back(std::move(msg));
}

bool failed()
{
    std::lock_guard<std::mutex> l(g_fail_mutex);
    return !g_failures.empty();
}

void note(std::string const& msg)
{
    std::fprintf(stderr, "NOTE %s\n", msg.c_str());
}

namespace {
std::atomic<unsigned long> g_progress{0};
} // namespace
void progress() { g_progress.fetch_add(1, std::memory_order_relaxed); }
unsigned long progress_count() { return g_progress.load(std::memory_order_relaxed); }

void phase(std::string what)
{
    std::lock_guard<std::mutex> l(g_fail_mutex);
    g_phase = std::move(what);
    progress();
}

void fail_while(std::string msg)
{
    std::lock_guard<std::mutex> l(g_fail_mutex);
    g_failures.push_back(msg + " (while " + g_phase + ")");
}

namespace {

// every harness file's scenarios, in link order (build.sh links the files
// sorted by name); filled before main runs
std::vector<Scenario>& registry()
{
    static std::vector<Scenario> scenarios;
    return scenarios;
}

int finish(Scenario const& s)
{
    char const* name = s.name;
#if defined(MEMFIX_HAVE_LSAN)
    if (__lsan_do_recoverable_leak_check() != 0)
        fail("LeakSanitizer reported leaks");
#endif
    std::lock_guard<std::mutex> l(g_fail_mutex);
    if (g_failures.empty())
    {
        std::printf("PASS %s\n", name);
        std::fflush(stdout);
        if (s.exit == Exit::normal) return 0;
        std::fflush(stderr);
        // the leak check is done; a session kept alive (TSan build) ends with the process
        std::_Exit(0);
    }
    std::string reason = g_failures.front();
    if (g_failures.size() > 1)
        reason += " (and " + std::to_string(g_failures.size() - 1) + " more)";
    for (std::size_t i = 1; i < g_failures.size() && i < 10; ++i)
        std::fprintf(stderr, "FAIL %s: %s\n", name, g_failures[i].c_str());
    std::printf("FAIL %s: %s\n", name, reason.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    // skip the at-exit leak check: a leak was already reported above
    std::_Exit(1);
}

} // namespace

Registrar::Registrar(std::initializer_list<Scenario> scenarios)
{
    for (auto const& s : scenarios) registry().push_back(s);
}

} // namespace memfix

int main(int argc, char** argv)
{
    using namespace memfix;
    for (std::size_t i = 0; i < registry().size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (std::strcmp(registry()[i].name, registry()[j].name) == 0)
            {
                std::fprintf(stderr, "two scenarios are named %s\n", registry()[i].name);
                return 2;
            }
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0)
    {
        for (auto const& s : registry())
            std::printf("%s\t%s\t%s\t%s\n", s.name, s.fix, s.sanitizers, s.description);
        return 0;
    }
    if (argc != 2)
    {
        std::fprintf(stderr, "usage: %s --list | %s <scenario>\n", argv[0], argv[0]);
        return 2;
    }
    for (auto const& s : registry())
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
        return finish(s);
    }
    std::fprintf(stderr, "unknown scenario '%s' (see --list)\n", argv[1]);
    return 2;
}
