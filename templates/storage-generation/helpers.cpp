
// memfix(storage-generation): the current generation of a storage slot; {{mutex}} must be
// held. It changes each time the slot's torrent is removed, so a job can tell whether the
// slot still belongs to the torrent the job was submitted for. (The index converts to
// std::size_t through its underlying type: TORRENT_ABI_VERSION=3 allows only that one.)
std::uint64_t {{current}}({{index}} const storage) const
{
    std::size_t const slot = static_cast<std::size_t>(static_cast<{{index}}::underlying_type>(storage));
    return slot < {{generations}}.size() ? {{generations}}[slot] : 0;
}

// memfix(storage-generation): whether a slot is still at the generation a job recorded
bool {{is}}({{index}} const storage, std::uint64_t const generation){{const}}
{
    std::lock_guard<{{mutexType}}> lock({{mutex}});
    return {{current}}(storage) == generation;
}

// memfix(storage-generation): make room for a slot's generation; {{mutex}} must be held.
// new_torrent() calls it before it fills the slot, so that remove_torrent(), which
// libtorrent reaches from a destructor, never allocates, and an allocation failure here
// leaves no filled slot behind.
void {{grow}}({{index}} const storage)
{
    std::size_t const slot = static_cast<std::size_t>(static_cast<{{index}}::underlying_type>(storage));
    if ({{generations}}.size() <= slot) {{generations}}.resize(slot + 1, 0);
}

// memfix(storage-generation): start a new generation of a slot; {{mutex}} must be held
void {{bump}}({{index}} const storage)
{
    std::size_t const slot = static_cast<std::size_t>(static_cast<{{index}}::underlying_type>(storage));
    if (slot < {{generations}}.size()) ++{{generations}}[slot];
}
