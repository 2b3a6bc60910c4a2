// memfix harness: the scenarios that prove storage-generation.
//
// Completions queued before remove_torrent, whose slot is then reused, report
// operation_aborted; the new owner gets its own bytes.

#include "harness.hpp"
#include "hand.hpp"

// the disk interface driven by hand (hand.hpp)
namespace memfix {
namespace hand {
namespace {

// ===========================================================================
// storage-generation: completions queued before remove_torrent + slot reuse
// ===========================================================================

// set up: torrent 1 in a slot with data, stale operations queued by `queue`,
// torrent 1 removed, torrent 2 added into the same slot with its own data
template <typename Queue, typename Fresh>
void stale_scenario(Queue queue, Fresh fresh)
{
    Env env(0);
    auto old_owner = make_torrent(*env.dio, 1);
    write_piece(env, *old_owner, 0);
    write_piece(env, *old_owner, 1);
    env.drain();
    lt::storage_index_t const slot = old_owner->index;

    queue(env, slot);

    old_owner->holder.reset();   // remove_torrent
    auto new_owner = make_torrent(*env.dio, 2);
    if (new_owner->index != slot)
    {
        fail("precondition: new_torrent did not reuse the removed slot");
        return;
    }
    write_piece(env, *new_owner, 0);
    write_piece(env, *new_owner, 1);
    env.drain();   // the stale completions run now

    fresh(env, *new_owner);
    env.drain();
    new_owner.reset();
    old_owner.reset();
}

void sc_stale_read()
{
    int stale_done = 0;
    int fresh_done = 0;
    stale_scenario(
        [&](Env& env, lt::storage_index_t slot) {
            for (int start : {0, kBlock - 10})
            {
                env.dio->async_read(slot, request(0, start, 100),
                    [&stale_done](lt::disk_buffer_holder buf, lt::storage_error const& ec) {
                        ++stale_done;
                        if (!ec)
                        {
                            fail("stale read completion delivered " + std::to_string(buf.size())
                                + " bytes without error after its torrent was removed");
                            return;
                        }
                        if (!is_aborted(ec))
                            fail("stale read reported '" + ec.ec.message()
                                + "', expected operation_aborted");
                        if (buf.data() != nullptr || buf.size() != 0)
                            fail("stale read reported an error but still delivered "
                                + std::to_string(buf.size()) + " bytes");
                    });
            }
        },
        [&](Env& env, Torrent& t) {
            checked_read(env, t.index, t.tag, 0, 0, kBlock, "new owner's read", &fresh_done);
            checked_read(env, t.index, t.tag, 1, kBlock - 10, 100, "new owner's read", &fresh_done);
        });
    if (g_failures.empty())
    {
        expect_done(stale_done, 2, "stale reads");
        expect_done(fresh_done, 2, "new owner's reads");
    }
}

void sc_stale_hash()
{
    int stale_done = 0;
    int fresh_done = 0;
    stale_scenario(
        [&](Env& env, lt::storage_index_t slot) {
            env.dio->async_hash(slot, lt::piece_index_t(0), lt::span<lt::sha256_hash>(),
                lt::disk_interface::v1_hash,
                [&stale_done](lt::piece_index_t, lt::sha1_hash const&, lt::storage_error const& ec) {
                    ++stale_done;
                    if (!ec)
                        fail("stale async_hash completion reported a hash without error "
                            "after its torrent was removed");
                    else if (!is_aborted(ec))
                        fail("stale async_hash reported '" + ec.ec.message()
                            + "', expected operation_aborted");
                });
            env.dio->async_hash2(slot, lt::piece_index_t(0), 0, {},
                [&stale_done](lt::piece_index_t, lt::sha256_hash const&, lt::storage_error const& ec) {
                    ++stale_done;
                    if (!ec)
                        fail("stale async_hash2 completion reported a hash without error "
                            "after its torrent was removed");
                    else if (!is_aborted(ec))
                        fail("stale async_hash2 reported '" + ec.ec.message()
                            + "', expected operation_aborted");
                });
        },
        [&](Env& env, Torrent& t) {
            std::uint32_t const tag = t.tag;
            env.dio->async_hash(t.index, lt::piece_index_t(0), lt::span<lt::sha256_hash>(),
                lt::disk_interface::v1_hash,
                [&fresh_done, tag](lt::piece_index_t, lt::sha1_hash const& h, lt::storage_error const& ec) {
                    ++fresh_done;
                    if (ec) fail("new owner's async_hash reported an error: " + ec.ec.message());
                    else if (h != piece_sha1(tag, 0)) fail("new owner's async_hash returned a wrong hash");
                });
            env.dio->async_hash2(t.index, lt::piece_index_t(0), 0, {},
                [&fresh_done, tag](lt::piece_index_t, lt::sha256_hash const& h, lt::storage_error const& ec) {
                    ++fresh_done;
                    if (ec) fail("new owner's async_hash2 reported an error: " + ec.ec.message());
                    else if (h != block_sha256(tag, 0, 0)) fail("new owner's async_hash2 returned a wrong hash");
                });
        });
    if (g_failures.empty())
    {
        expect_done(stale_done, 2, "stale hashes");
        expect_done(fresh_done, 2, "new owner's hashes");
    }
}

void sc_stale_write()
{
    int stale_done = 0;
    int fresh_done = 0;
    stale_scenario(
        [&](Env& env, lt::storage_index_t slot) {
            std::vector<char> const buf = pattern(1, 2, 0, kBlock);
            env.dio->async_write(slot, request(2, 0, kBlock), buf.data(),
                std::shared_ptr<lt::disk_observer>(),
                [&stale_done](lt::storage_error const& ec) {
                    ++stale_done;
                    if (!ec)
                        fail("stale async_write completion reported success after its torrent was removed");
                    else if (!is_aborted(ec))
                        fail("stale async_write reported '" + ec.ec.message() + "', expected operation_aborted");
                });
        },
        [&](Env& env, Torrent& t) {
            std::vector<char> const buf = pattern(t.tag, 2, 0, kBlock);
            env.dio->async_write(t.index, request(2, 0, kBlock), buf.data(),
                std::shared_ptr<lt::disk_observer>(),
                [&fresh_done](lt::storage_error const& ec) {
                    ++fresh_done;
                    if (ec) fail("new owner's async_write reported an error: " + ec.ec.message());
                });
        });
    if (g_failures.empty())
    {
        expect_done(stale_done, 1, "stale writes");
        expect_done(fresh_done, 1, "new owner's writes");
    }
}

} // namespace
} // namespace hand
} // namespace memfix

MEMFIX_SCENARIOS(
    {"stale-read", "storage-generation", "asan",
        "a read queued before its torrent was removed and the slot reused reports operation_aborted; the new owner reads its own bytes",
        hand::sc_stale_read},
    {"stale-hash", "storage-generation", "asan",
        "async_hash/async_hash2 queued before their torrent was removed and the slot reused report operation_aborted; the new owner hashes its own bytes",
        hand::sc_stale_hash},
    {"stale-write", "storage-generation", "asan",
        "a write queued before its torrent was removed and the slot reused reports operation_aborted; the new owner's write succeeds",
        hand::sc_stale_write},
)
